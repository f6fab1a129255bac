import { SluiceError } from '../errors.js';

/**
 * The state of one key as a mapWithState function sees it, as Spark's State: read it,
 * update it, remove it; `isTimingOut()` is true on the call made for a key that timed out.
 */
export class StateHandle<S = unknown> {
  private present: boolean;
  private value: S | undefined;
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
    if (!this.present) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'state.get(): this key has no state; check state.exists() first');
    return this.value as S;
  }

  getOption(): S | undefined {
    return this.present ? this.value : undefined;
  }

  update(value: S): void {
    if (this.timingOut) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'state.update(): cannot update the state of a key that is timing out');
    this.present = true;
    this.value = value;
  }

  remove(): void {
    this.present = false;
    this.value = undefined;
  }

  isTimingOut(): boolean {
    return this.timingOut;
  }
}
