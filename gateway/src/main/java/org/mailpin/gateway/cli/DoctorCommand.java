package org.mailpin.gateway.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

import org.mailpin.gateway.config.ConfigException;
import org.mailpin.gateway.config.ConfigLoader;
import org.mailpin.gateway.config.GatewayConfig;
import org.mailpin.gateway.config.Units;
import org.mailpin.gateway.doctor.Doctor;
import org.mailpin.gateway.doctor.DoctorReport;
import org.mailpin.gateway.doctor.ReportJson;
import org.mailpin.gateway.doctor.ReportText;
import org.mailpin.gateway.mail.sasl.Credentials;
import org.mailpin.gateway.mail.sasl.MalformedCredentialsException;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Logs a user in directly on every backend of a config and reports where the backends disagree:
 * a login that one backend rejects and the others accept, or an INBOX that is not the same
 * everywhere.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Log USER in on every backend of the config (IMAP, POP3, ManageSieve) and report where the "
                + "backends disagree.",
                "Exit code 0: all agree; 1: a backend differs, rejects or cannot be reached, or every backend "
                + "rejects the login; 64: usage error; 78: invalid config."})
final class DoctorCommand implements Callable<Integer> {

    /**
     * Exit code when a backend differs from the others, rejects the login or cannot be reached, and
     * when every backend rejects the login.
     */
    static final int EXIT_DIFFERS = 1;

    static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);

    static final String CONFIG_VARIABLE = AdminOptions.CONFIG_VARIABLE;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML config file of the gateway "
            + "(default: $" + CONFIG_VARIABLE + ", else " + AdminOptions.DEFAULT_CONFIG + ")")
    Path config;

    @Option(names = "--user", required = true, paramLabel = "USER",
            description = "User to log in as; normalized as the gateway does (lowercase, default domain)")
    String user;

    @Option(names = "--password-stdin",
            description = "Read the password from the first line of standard input instead of asking on the terminal")
    boolean passwordStdin;

    @Option(names = "--json", description = "Print the report as JSON instead of a table")
    boolean json;

    // Dovecot delays logins from an address with recent failures: on the demo topology, 2.3.19 took
    // up to 17 s to reject a login and 15 s to accept one. The default leaves room above that.
    @Option(names = "--timeout", defaultValue = "30s", paramLabel = "DURATION",
            description = "Time for all checks of one backend, e.g. 10s or 1m (default: ${DEFAULT-VALUE})")
    String timeout;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Duration budget = budget();
        Map<String, String> environment = System.getenv();
        Path configPath = configPath(config, environment);
        GatewayConfig loaded;
        try {
            loaded = ConfigLoader.load(configPath);
        } catch (ConfigException e) {
            System.err.println("mailpin: config error: " + e.getMessage());
            if (config == null) {
                System.err.println("mailpin: doctor used " + configSource(configPath, environment)
                        + "; pass --config FILE to use another config (the demo's is /tmp/mailpin-demo/gateway.yaml)");
            }
            return MailpinCommand.EXIT_CONFIG;
        }

        Doctor doctor = new Doctor(loaded, budget, true);
        String normalized;
        try {
            normalized = doctor.normalize(user);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--user: " + e.getMessage());
        }
        String password = password(normalized);

        DoctorReport report = doctor.run(normalized, password);
        System.out.print(json ? ReportJson.render(report) + "\n" : ReportText.render(report));
        return report.agree() ? 0 : EXIT_DIFFERS;
    }

    /** Returns the config file to read, by the same rule as the admin verbs. */
    static Path configPath(Path option, Map<String, String> environment) {
        return AdminOptions.configPath(option, environment);
    }

    private static String configSource(Path configPath, Map<String, String> environment) {
        String fromEnvironment = environment.get(CONFIG_VARIABLE);
        return fromEnvironment == null || fromEnvironment.isBlank()
                ? "the default " + configPath + " because neither --config nor " + CONFIG_VARIABLE + " is set"
                : configPath + " from " + CONFIG_VARIABLE;
    }

    private Duration budget() {
        Duration budget;
        try {
            budget = Units.duration(timeout);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--timeout: " + e.getMessage());
        }
        if (budget.toSeconds() < 1 || budget.compareTo(MAX_TIMEOUT) > 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--timeout: " + timeout + " is out of range; expected 1s to 10m, e.g. 10s");
        }
        return budget;
    }

    private String password(String normalized) throws IOException {
        String password;
        if (passwordStdin) {
            // One line only: a script can pass the password with printf '%s\n' without a file.
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            password = in.readLine();
        } else {
            Console console = System.console();
            if (console == null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "no terminal to ask for the password on; pass it on standard input with --password-stdin");
            }
            char[] typed = console.readPassword("Password for %s: ", normalized);
            password = typed == null ? null : new String(typed);
        }
        if (password == null || password.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing password: "
                    + (passwordStdin ? "standard input is empty" : "nothing was typed"));
        }
        try {
            Credentials.of(normalized, password).validate();
        } catch (MalformedCredentialsException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        return password;
    }
}
