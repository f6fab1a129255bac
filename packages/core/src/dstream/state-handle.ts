import { SluiceError } from '../errors.js';
import { formatRecord } from '../util/format-record.js';

/**
 * The state of one key as a mapWithState function sees it, as Spark's State: read it,
 * update it, remove it; `isTimingOut()` is true on the call made for a key that timed out.
 * Spark's rules hold: a call may not update the state after removing it, nor remove it
 * twice; a timing-out state can be neither updated nor removed (it is removed after the call).
 */
export class StateHandle<S = unknown> {
  private present: boolean;
  private value: S | undefined;
  /** state.remove() was called in this call of the function. */
  private removed = false;
  /** @internal */ timingOut = false;

  /** @internal */
  constructor(exists: boolean, value: S | undefined) {
    this.present = exists;
    this.value = value;
  }

  exists(): boolean {
    return this.present;
  }

  get(): S {
    if (!this.present) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'state.get(): State is not set (as Spark says): this key has no state; check state.exists() first, or use state.getOption()');
    return this.value as S;
  }

  getOption(): S | undefined {
    return this.present ? this.value : undefined;
  }

  update(value: S): void {
    if (this.removed) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'state.update(): Cannot update the state after it has been removed (as Spark says): state.remove() was called in this call; update or remove, not both');
    if (this.timingOut) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'state.update(): Cannot update the state that is timing out (as Spark says): a key whose state times out gets one last call, and its state is removed after it (check state.isTimingOut())');
    this.present = true;
    this.value = value;
  }

  remove(): void {
    if (this.timingOut) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'state.remove(): Cannot remove the state that is timing out (as Spark says): it is removed after this call');
    if (this.removed) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'state.remove(): Cannot remove the state that has already been removed (as Spark says): state.remove() was called before in this call');
    this.present = false;
    this.value = undefined;
    this.removed = true;
  }

  isTimingOut(): boolean {
    return this.timingOut;
  }

  /**
   * As Spark's State.toString: the state as print() shows a record (a pair as `(1,a)`), or
   * `<state not set>` when there is none, so `${state}` in a log line reads as in Spark.
   */
  toString(): string {
    return this.present ? formatRecord(this.value) : '<state not set>';
  }

  /** @internal Before the function's call for the key's next value: the state as the last call left it, nothing removed yet (Spark's wrap). */
  nextCall(): void {
    this.removed = false;
  }

  /** @internal After the call for a timing-out key: its state goes. */
  drop(): void {
    this.present = false;
    this.value = undefined;
  }
}
