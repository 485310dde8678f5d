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

    /** Exit code when a needed resource (a port, a file, the admin API) is unavailable, as sysexits' EX_UNAVAILABLE. */
    public static final int EXIT_UNAVAILABLE = 69;

    /** Exit code for a command line that lacks a subcommand or argument, as sysexits' EX_USAGE. */
    public static final int EXIT_USAGE = 64;

    /** Exit code when the admin API rejected a request as invalid (400, 409), as sysexits' EX_DATAERR. */
    public static final int EXIT_DATAERR = 65;

    /** Exit code when the admin API does not know the named backend (404), as sysexits' EX_NOUSER. */
    public static final int EXIT_NOTFOUND = 67;

    /** Exit code for an internal error, as sysexits' EX_SOFTWARE. */
    public static final int EXIT_SOFTWARE = 70;

    /** Exit code when the admin API rejected the token (401), as sysexits' EX_NOPERM. */
    public static final int EXIT_NOPERM = 77;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: try mailpin --help for the list, mailpin status on an administered node, "
                + "or mailpin serve --config FILE to run one");
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** Builds the command line with every subcommand, the admin verbs included. */
    public static CommandLine commandLine() {
        CommandLine line = new CommandLine(new MailpinCommand());
        AdminVerbs.ALL.forEach(line::addSubcommand);
        useUsageExitCode(line);
        return line;
    }

    // Picocli returns 2 for a usage error; scripts get the sysexits code that the docs promise.
    private static void useUsageExitCode(CommandLine line) {
        line.getCommandSpec().exitCodeOnInvalidInput(EXIT_USAGE);
        line.getSubcommands().values().forEach(MailpinCommand::useUsageExitCode);
    }
}
