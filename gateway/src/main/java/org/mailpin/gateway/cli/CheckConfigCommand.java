package org.mailpin.gateway.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.mailpin.gateway.Secrets;
import org.mailpin.gateway.config.ConfigException;
import org.mailpin.gateway.config.ConfigLoader;
import org.mailpin.gateway.config.GatewayConfig;
import org.mailpin.gateway.http.Hmac;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Validates a config file, including that its secret files are readable, without starting anything. */
@Command(name = "check-config", mixinStandardHelpOptions = true, description = "Validate a config file without starting.")
final class CheckConfigCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "YAML config file")
    Path config;

    @Override
    public Integer call() {
        try {
            GatewayConfig loaded = ConfigLoader.load(config);
            String secret = Secrets.read(loaded.web().secretFile(), "web.secret-file");
            try {
                new Hmac(secret.getBytes(StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("web.secret-file (" + loaded.web().secretFile() + "): " + e.getMessage());
            }
            Secrets.read(loaded.admin().tokenFile(), "admin.token-file");
            if (loaded.health().probePasswordFile() != null) {
                Secrets.read(loaded.health().probePasswordFile(), "health.probe-password-file");
            }
            // The .invalid top-level domain never resolves (RFC 2606), so it can only be a placeholder,
            // such as the one import-dovecot writes.
            for (var instance : loaded.web().roundcube()) {
                String host = instance.url().getHost();
                if (host != null && host.endsWith(".invalid")) {
                    System.err.println("mailpin: warning: Roundcube instance " + instance.id() + " still has the "
                            + "placeholder URL " + instance.url() + "; set web.roundcube[].url to the real instance");
                }
            }
            System.out.println(config + ": OK (" + count(loaded.backends().size(), "backend") + ", "
                    + count(loaded.web().roundcube().size(), "Roundcube instance") + ")");
            return 0;
        } catch (ConfigException e) {
            System.err.println("mailpin: config error: " + e.getMessage());
            return MailpinCommand.EXIT_CONFIG;
        }
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
