package org.mailpin.gateway.cli;

import java.nio.file.Path;
import java.time.InstantSource;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.mailpin.gateway.GatewayServer;
import org.mailpin.gateway.config.ConfigException;
import org.mailpin.gateway.config.ConfigLoader;
import org.mailpin.gateway.config.GatewayConfig;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs one gateway node until SIGTERM or SIGINT. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run a gateway node with the given config.")
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "YAML config file")
    Path config;

    @Override
    public Integer call() throws InterruptedException {
        GatewayConfig loaded;
        GatewayServer server;
        try {
            loaded = ConfigLoader.load(config);
            server = GatewayServer.start(loaded, InstantSource.system());
        } catch (ConfigException e) {
            System.err.println("mailpin: config error: " + e.getMessage());
            return MailpinCommand.EXIT_CONFIG;
        } catch (java.io.UncheckedIOException e) {
            System.err.println("mailpin: cannot start: " + e.getMessage());
            return MailpinCommand.EXIT_UNAVAILABLE;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "mailpin-shutdown"));
        stopped.await();
        return 0;
    }
}
