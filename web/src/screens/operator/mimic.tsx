/**
 * The line mimic: each station in route order with its units (an encoder's heads), each unit's
 * PackML state and mode, the card it last handled, its heartbeat. Grey when normal; a unit that
 * needs the operator (held, aborted, starved, offline) is outlined in the attention colour.
 */
import { packmlStateLabel } from '../../i18n/codes.ts';
import { t, tDynamic } from '../../i18n/i18n.ts';
import { heartbeatOf, unitNeedsAttention, type LineModel } from './model.ts';

export function LineMimic({ model }: { readonly model: LineModel }) {
  const { line } = model;
  return (
    <section class="op-mimic panel" aria-labelledby="op-mimic-title">
      <h2 id="op-mimic-title">{t('operator.mimic.title')}</h2>
      <ol class="op-stations">
        {line.stations.map((station) => (
          <li key={station.id} class="op-station">
            <h3>
              {station.id} <span class="muted">({tDynamic(`operator.kind.${station.kind}`)})</span>
            </h3>
            <ul class="op-units">
              {station.units.map((unit) => {
                const attention = unitNeedsAttention(unit, line.phase);
                const beat = heartbeatOf(unit, model.alarms);
                const card = model.cards[unit.id];
                return (
                  <li key={unit.id} class={attention ? 'op-unit attention' : 'op-unit'} data-unit={unit.id} data-state={unit.state} data-at={model.stateAt[unit.id]}>
                    <strong>{unit.id}</strong>
                    <dl>
                      <dt>{t('operator.unit.state')}</dt>
                      <dd class="op-state">{packmlStateLabel(unit.state)}</dd>
                      <dt>{t('operator.unit.mode')}</dt>
                      <dd>{tDynamic(`mode.${unit.mode}`)}</dd>
                      <dt>{t('operator.unit.card')}</dt>
                      <dd>{card ? (card.attempt !== null ? t('operator.unit.cardAttempt', { serial: card.serial, attempt: card.attempt }) : card.serial) : t('common.none')}</dd>
                      <dt>{t('operator.unit.heartbeat')}</dt>
                      <dd class={beat === 'ok' ? undefined : 'op-attention-text'}>{t(`operator.heartbeat.${beat}`)}</dd>
                    </dl>
                  </li>
                );
              })}
            </ul>
          </li>
        ))}
      </ol>
    </section>
  );
}
