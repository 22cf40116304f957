/**
 * Job ids: unique across controller processes (the store hands out blocks), taken one a job. The
 * stations run out of ids together: they wait for one new block rather than each allocating (and
 * all but the last one discarding) a block of its own.
 */
export class JobIds {
  private range = { next: 0, end: 0 };
  private allocating: Promise<void> | undefined;

  constructor(
    private readonly allocate: (count: number) => Promise<number>,
    private readonly block = 1000,
  ) {}

  async next(): Promise<number> {
    while (this.range.next >= this.range.end) {
      this.allocating ??= this.allocateBlock().finally(() => {
        this.allocating = undefined;
      });
      await this.allocating;
    }
    return this.range.next++;
  }

  private async allocateBlock(): Promise<void> {
    const start = await this.allocate(this.block);
    this.range = { next: start, end: start + this.block };
  }
}
