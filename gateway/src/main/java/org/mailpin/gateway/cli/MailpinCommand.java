package org.mailpin.gateway.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code mailpin} command: {@code serve} runs a gateway node, the others are tools for administrators. */
@Command(name = "mailpin", mixinStandardHelpOptions = true, version = "mailpin 0.1.0",
        description = "Director for Dovecot mail clusters, with a web gateway for Roundcube.",
        subcommands = {ServeCommand.class, RingCommand.class, CheckConfigCommand.class, DoctorCommand.class,
                ImportDovecotCommand.class})
public final class MailpinCommand implements Runnable {

    /** Exit code for a usage or configuration error, as sysexits' EX_CONFIG. */
    public static final int EXIT_CONFIG = 78;

    /** Exit code when a needed resource (a port, a file) is unavailable, as sysexits' EX_UNAVAILABLE. */
    public static final int EXIT_UNAVAILABLE = 69;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: try mailpin serve --config FILE");
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new MailpinCommand()).execute(args));
    }
}
