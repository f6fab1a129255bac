import { Command } from 'commander';

/** Why a command has no such option, for options other commands have (the rest get commander's message). */
const WHY_NOT: Readonly<Record<string, string>> = {
  '--tls-cert': "a client presents no certificate; give the CA that signed the driver's certificate with --tls-ca",
  '--tls-key': "a client presents no certificate; give the CA that signed the driver's certificate with --tls-ca",
  '--log-level': 'it logs nothing: it prints what the driver answers',
};

/**
 * A `sluice` command whose unknown-option error says which commands do take the option
 * (and, for the options every server takes, why this command does not) instead of
 * commander's bare "unknown option". Subcommands made with `.command()` are of this class.
 */
export class SluiceCommand extends Command {
  override createCommand(name?: string): Command {
    return new SluiceCommand(name);
  }

  /** Called by commander's parser for an option this command does not define. */
  unknownOption(flag: string): void {
    const root = rootOf(this);
    const name = flag.split('=')[0];
    const owners = root.commands.filter((c) => c !== this && c.options.some((o) => o.long === name || o.short === name)).map((c) => `sluice ${c.name()}`);
    if (owners.length === 0 || this.parent === null) {
      (Command.prototype as unknown as { unknownOption(this: Command, flag: string): void }).unknownOption.call(this, flag);
      return;
    }
    const why = WHY_NOT[name] ? `: ${WHY_NOT[name]}` : '';
    this.error(`error: sluice ${this.name()} does not take ${name} (an option of ${owners.join(', ')})${why}. See 'sluice ${this.name()} --help'.`, {
      code: 'commander.unknownOption',
    });
  }
}

function rootOf(c: Command): Command {
  let r = c;
  while (r.parent) r = r.parent;
  return r;
}
