package org.mailpin.director.hazelcast;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An iptables block of loopback TCP traffic to and from a few ports, for tests that split a cluster
 * of in-process members.
 *
 * <p>The rules live in two chains of this object's own, {@code MAILPIN-TEST-<hex>-IN} and
 * {@code -OUT}, jumped to from INPUT and OUTPUT. Every rule matches TCP on {@code lo} and one of
 * the given ports, so no other traffic is touched. {@link #close()} removes the jumps and the
 * chains. Needs the iptables command and root (CAP_NET_ADMIN).
 */
final class LoopbackPortBlock implements AutoCloseable {

    static final String CHAIN_PREFIX = "MAILPIN-TEST-";
    private static final long COMMAND_TIMEOUT_SECONDS = 20;

    private final String inputChain;
    private final String outputChain;
    private final List<Integer> ports;
    private boolean created;

    LoopbackPortBlock(List<Integer> ports) {
        this.ports = List.copyOf(ports);
        String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        this.inputChain = CHAIN_PREFIX + id + "-IN";
        this.outputChain = CHAIN_PREFIX + id + "-OUT";
    }

    /** Returns null when iptables runs here, else the reason it does not. */
    static String unusableReason() {
        try {
            Result result = run(List.of("iptables", "-S", "INPUT"));
            return result.exitCode() == 0 ? null
                    : "'iptables -S INPUT' failed with exit code " + result.exitCode() + ": " + result.output().strip()
                            + " (run as root, and install iptables with examples/install-deps.sh)";
        } catch (IOException e) {
            return "iptables not found (" + e.getMessage() + "): install it with examples/install-deps.sh";
        }
    }

    /**
     * Removes the jumps to, and the chains of, every {@code MAILPIN-TEST-} chain, which an earlier
     * run that crashed before its cleanup can leave behind.
     */
    static void removeLeftovers() throws IOException {
        Set<String> chains = new LinkedHashSet<>();
        List<String> jumps = new ArrayList<>();
        for (String line : runChecked(List.of("iptables", "-S")).lines().toList()) {
            String[] words = line.split(" ");
            if (words.length == 2 && words[0].equals("-N") && words[1].startsWith(CHAIN_PREFIX)) {
                chains.add(words[1]);
            } else if (words.length > 2 && words[0].equals("-A") && !words[1].startsWith(CHAIN_PREFIX)
                    && line.contains(" -j " + CHAIN_PREFIX)) {
                jumps.add(line);
            }
        }
        for (String jump : jumps) {
            List<String> delete = new ArrayList<>(List.of("iptables"));
            delete.addAll(List.of(jump.replaceFirst("^-A ", "-D ").split(" ")));
            runChecked(delete);
        }
        for (String chain : chains) {
            runChecked(List.of("iptables", "-F", chain));
            runChecked(List.of("iptables", "-X", chain));
        }
    }

    /** Starts dropping every loopback TCP packet whose source or destination port is one of the ports. */
    void drop() throws IOException {
        runChecked(List.of("iptables", "-N", inputChain));
        created = true;
        runChecked(List.of("iptables", "-N", outputChain));
        for (int port : ports) {
            for (String direction : List.of("--sport", "--dport")) {
                runChecked(List.of("iptables", "-A", inputChain, "-i", "lo", "-p", "tcp", direction,
                        Integer.toString(port), "-j", "DROP"));
                runChecked(List.of("iptables", "-A", outputChain, "-o", "lo", "-p", "tcp", direction,
                        Integer.toString(port), "-j", "DROP"));
            }
        }
        runChecked(List.of("iptables", "-I", "INPUT", "1", "-i", "lo", "-p", "tcp", "-j", inputChain));
        runChecked(List.of("iptables", "-I", "OUTPUT", "1", "-o", "lo", "-p", "tcp", "-j", outputChain));
    }

    /**
     * Removes the jumps and the chains. Runs every step even when one fails, then throws the first
     * failure, so that a half-built block is still removed.
     */
    @Override
    public void close() throws IOException {
        if (!created) {
            return;
        }
        List<List<String>> steps = List.of(
                List.of("iptables", "-D", "INPUT", "-i", "lo", "-p", "tcp", "-j", inputChain),
                List.of("iptables", "-D", "OUTPUT", "-o", "lo", "-p", "tcp", "-j", outputChain),
                List.of("iptables", "-F", inputChain),
                List.of("iptables", "-X", inputChain),
                List.of("iptables", "-F", outputChain),
                List.of("iptables", "-X", outputChain));
        IOException first = null;
        for (List<String> step : steps) {
            try {
                runChecked(step);
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        // A jump or chain that drop() never created makes its step fail, so check the end state.
        String remaining = runChecked(List.of("iptables", "-S"));
        if (remaining.contains(inputChain) || remaining.contains(outputChain)) {
            throw first != null ? first : new IOException("iptables chains " + inputChain + " and "
                    + outputChain + " still present after removal");
        }
        created = false;
    }

    private static String runChecked(List<String> command) throws IOException {
        Result result = run(command);
        if (result.exitCode() != 0) {
            throw new IOException("'" + String.join(" ", command) + "' failed with exit code " + result.exitCode()
                    + ": " + result.output().strip());
        }
        return result.output();
    }

    private static Result run(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        // Read on another thread, so that a full pipe cannot stall the command until the timeout.
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try {
            if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("'" + String.join(" ", command) + "' timed out after "
                        + COMMAND_TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running '" + String.join(" ", command) + "'", e);
        }
        try {
            return new Result(process.exitValue(), output.get(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the output of '" + String.join(" ", command) + "'", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("reading the output of '" + String.join(" ", command) + "' failed", e);
        }
    }

    private record Result(int exitCode, String output) {
    }
}
