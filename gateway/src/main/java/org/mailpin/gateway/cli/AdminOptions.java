package org.mailpin.gateway.cli;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

import org.mailpin.gateway.Secrets;
import org.mailpin.gateway.config.ConfigException;
import org.mailpin.gateway.config.ConfigLoader;
import org.mailpin.gateway.config.GatewayConfig;

import picocli.CommandLine.Option;

/**
 * Location of the admin API for the admin verbs: the config file's {@code admin.listen} and
 * {@code admin.token-file}, or explicit {@code --url} and {@code --token-file}.
 */
final class AdminOptions {

    static final String DEFAULT_CONFIG = "/etc/mailpin/gateway.yaml";

    /** Environment variable naming the config file when {@code --config} is absent. */
    static final String CONFIG_VARIABLE = "MAILPIN_CONFIG";

    @Option(names = "--config", paramLabel = "FILE",
            description = "gateway config to read admin.listen and admin.token-file from "
                    + "(default: $MAILPIN_CONFIG, else " + DEFAULT_CONFIG + ")")
    Path config;

    @Option(names = "--url", paramLabel = "URL", description = "admin API base URL, e.g. http://127.0.0.1:9180/")
    URI url;

    @Option(names = "--token-file", paramLabel = "FILE", description = "file holding the admin bearer token")
    Path tokenFile;

    AdminClient client() {
        GatewayConfig loaded = url != null && tokenFile != null ? null : load(configPath());
        URI base = url != null ? url : baseUrl(loaded.admin().listenHost(), loaded.admin().listenPort());
        Path tokenPath = tokenFile != null ? tokenFile : loaded.admin().tokenFile();
        // The CLI only reads the token; the hint must not suggest creating a new one.
        if (!Files.exists(tokenPath)) {
            throw new ConfigException((tokenFile != null ? "--token-file " : "admin.token-file ") + tokenPath
                    + " not found; point it at the token file of the running gateway (its admin.token-file)");
        }
        String token = Secrets.read(tokenPath, tokenFile != null ? "--token-file" : "admin.token-file");
        return new AdminClient(base.toString().endsWith("/") ? base : URI.create(base + "/"), token);
    }

    private static GatewayConfig load(Path path) {
        if (!Files.exists(path)) {
            throw new ConfigException("config file " + path + " not found; pass --config FILE or set MAILPIN_CONFIG "
                    + "(the demo's config is /tmp/mailpin-demo/gateway.yaml), or use --url with --token-file");
        }
        return ConfigLoader.load(path);
    }

    private Path configPath() {
        return configPath(config, System.getenv());
    }

    /**
     * Returns the config file to read: the {@code --config} option, else {@code $MAILPIN_CONFIG}
     * unless it is blank, else {@link #DEFAULT_CONFIG}. Every command that reads a config uses it.
     */
    static Path configPath(Path option, java.util.Map<String, String> environment) {
        if (option != null) {
            return option;
        }
        String fromEnvironment = environment.get(CONFIG_VARIABLE);
        return Path.of(fromEnvironment == null || fromEnvironment.isBlank() ? DEFAULT_CONFIG : fromEnvironment);
    }

    // A wildcard listener accepts on loopback too, and loopback is the address that surely works.
    static URI baseUrl(String host, int port) {
        String reachable = switch (host) {
            case "0.0.0.0" -> "127.0.0.1";
            case "::", "0:0:0:0:0:0:0:0" -> "::1";
            default -> host;
        };
        String literal = reachable.contains(":") ? "[" + reachable + "]" : reachable;
        return URI.create("http://" + literal + ":" + port + "/");
    }
}
