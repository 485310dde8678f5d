package org.mailpin.director.ring;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.mailpin.director.Backend;
import org.mailpin.director.FreePorts;

/**
 * Dovecot 2.3's own director on an unused loopback address, for comparing its ring with
 * {@link DovecotRing}. The backends need not run, because the director only hashes their addresses.
 *
 * <p>It is started with {@code examples/dovecot-director/start-director.sh} when that script is
 * present and {@code examples/install-deps.sh --check} passes. Otherwise, or with
 * {@code -Dmailpin.it.director=own-config}, it is started with {@code dovecot -F -c FILE} from a
 * config file written here, and stopped by SIGTERM to that master process. The check comes first
 * because the start script runs the package installer when any example dependency is missing.
 * NOTE: both ways were run as root only, which the start script requires.
 */
final class DovecotDirector implements AutoCloseable {

    static final Path DOVECOT = Path.of("/usr/sbin/dovecot");
    static final Path DOVEADM = Path.of("/usr/bin/doveadm");

    private static final Path EXAMPLES = Path.of("").toAbsolutePath().getParent().resolve("examples");
    private static final Path START_SCRIPT = EXAMPLES.resolve("dovecot-director/start-director.sh");
    private static final Path STOP_SCRIPT = EXAMPLES.resolve("dovecot-director/stop-director.sh");
    private static final Path INSTALL_DEPS = EXAMPLES.resolve("install-deps.sh");
    // The start script's fixed ports: IMAP, POP3, LMTP, ManageSieve and the director ring.
    private static final List<Integer> SCRIPT_PORTS = List.of(143, 110, 24, 4190, 9090);

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    // doveadm took about 9 ms per user on a 2-core test machine, so this allows about four
    // times that for a full batch.
    private static final Duration BATCH_TIMEOUT = Duration.ofSeconds(180);
    private static final int MAX_USERS_PER_BATCH = 5000;
    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(15);

    // Prints one line per user: the address after "Hashed:" in doveadm's output, or an empty line.
    private static final String STATUS_LOOP = """
            while IFS= read -r user; do
                "$1" -c "$2" director status "$user" 2>>"$4" | sed -n 's/^Hashed: //p' | head -n 1 | tr -d '\\n'
                printf '\\n'
            done < "$3"
            """;

    private final Path workDir;
    private final String ip;
    private final Path config;
    /** The start script's state folder, or null when the director runs from this class's own config. */
    private final Path scriptState;
    private Process ownMaster;
    private int batch;

    private DovecotDirector(Path workDir, String ip, Path config, Path scriptState) {
        this.workDir = workDir;
        this.ip = ip;
        this.config = config;
        this.scriptState = scriptState;
    }

    /** Starts a director whose ring contains the given backends with their vhosts, all up. */
    static DovecotDirector start(Path workDir, List<Backend> backends) throws IOException, InterruptedException {
        // Dovecot's unprivileged processes must reach the base_dir below this folder.
        Files.setPosixFilePermissions(workDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        DovecotDirector director = useStartScript(workDir)
                ? new DovecotDirector(workDir, unusedAddressForScript(), null, workDir.resolve("director"))
                : withOwnConfig(workDir, backends);
        try {
            director.launch(backends);
            director.awaitReady();
            // "director add" also sets the vhosts of a backend that is already listed.
            for (Backend backend : backends) {
                director.doveadm("director", "add", backend.address(), Integer.toString(backend.vhosts()));
            }
            director.awaitHosts(hosts -> backends.stream().allMatch(backend ->
                            hosts.containsKey(backend.address())
                                    && hosts.get(backend.address()).vhosts() == backend.vhosts()),
                    "every backend listed with its vhosts");
            return director;
        } catch (IOException | InterruptedException | RuntimeException e) {
            try {
                director.close();
            } catch (RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    private static boolean useStartScript(Path workDir) throws IOException, InterruptedException {
        if ("own-config".equals(System.getProperty("mailpin.it.director")) || !Files.isRegularFile(START_SCRIPT)) {
            return false;
        }
        return run(workDir, "install-deps-check", List.of("bash", INSTALL_DEPS.toString(), "--check"),
                COMMAND_TIMEOUT).exitCode() == 0;
    }

    private static DovecotDirector withOwnConfig(Path workDir, List<Backend> backends) throws IOException {
        String ip = "127.0.0." + ThreadLocalRandom.current().nextInt(200, 250);
        int ringPort = FreePorts.find(ip);
        int imapPort = FreePorts.find(ip);
        Files.createDirectories(workDir.resolve("run"));
        Files.createDirectories(workDir.resolve("lib"));
        Path config = workDir.resolve("director.conf");
        Files.writeString(config, ownConfig(workDir, ip, ringPort, imapPort, backends));
        return new DovecotDirector(workDir, ip, config, null);
    }

    private static String ownConfig(Path dir, String ip, int ringPort, int imapPort, List<Backend> backends) {
        String servers = backends.stream().map(Backend::address).collect(Collectors.joining(" "));
        return """
                instance_name = mailpin-it-director-%1$s-%2$d
                base_dir = %3$s/run
                state_dir = %3$s/lib
                log_path = %3$s/director.log
                listen = %1$s
                protocols = imap
                ssl = no
                disable_plaintext_auth = no
                director_servers = %1$s:%2$d
                director_mail_servers = %5$s
                director_username_hash = %%Lu

                passdb {
                  driver = static
                  args = proxy=y nopassword=y
                }

                service director {
                  # Both default to mode 0, which means they are not created and logins hang.
                  unix_listener login/director {
                    mode = 0666
                  }
                  fifo_listener login/proxy-notify {
                    mode = 0600
                    user = $default_login_user
                  }
                  unix_listener director-userdb {
                    mode = 0600
                  }
                  inet_listener {
                    address = %1$s
                    port = %2$d
                  }
                }

                service imap-login {
                  executable = imap-login director
                  inet_listener imap {
                    port = %4$d
                  }
                  inet_listener imaps {
                    port = 0
                  }
                }
                """.formatted(ip, ringPort, dir, imapPort, servers);
    }

    // An address in 127.0.0.200-249 on which the start script's fixed ports are all free.
    private static String unusedAddressForScript() {
        List<Integer> candidates = new ArrayList<>();
        for (int last = 200; last < 250; last++) {
            candidates.add(last);
        }
        Collections.shuffle(candidates);
        for (int last : candidates) {
            String candidate = "127.0.0." + last;
            if (SCRIPT_PORTS.stream().allMatch(port -> canBind(candidate, port))) {
                return candidate;
            }
        }
        throw new IllegalStateException("no address in 127.0.0.200-249 has ports " + SCRIPT_PORTS
                + " free for start-director.sh");
    }

    private static boolean canBind(String address, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(address), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void launch(List<Backend> backends) throws IOException, InterruptedException {
        if (scriptState == null) {
            ownMaster = new ProcessBuilder(DOVECOT.toString(), "-F", "-c", config.toString())
                    .redirectInput(Redirect.from(new File("/dev/null")))
                    .redirectOutput(Redirect.appendTo(workDir.resolve("dovecot.stdout.log").toFile()))
                    .redirectError(Redirect.appendTo(workDir.resolve("dovecot.stderr.log").toFile()))
                    .start();
            return;
        }

        // The script accepts loopback IPv4 backends only, so start() adds the others with doveadm.
        List<Backend> loopback = backends.stream().filter(b -> b.address().startsWith("127.")).toList();
        if (loopback.isEmpty()) {
            throw new IllegalArgumentException("start-director.sh needs at least one 127.x.y.z backend");
        }
        List<String> command = List.of("bash", START_SCRIPT.toString(), "--ip", ip,
                "--state", scriptState.toString(),
                "--backends", loopback.stream().map(Backend::address).collect(Collectors.joining(" ")),
                "--vhosts", loopback.stream().map(b -> Integer.toString(b.vhosts())).collect(Collectors.joining(" ")));
        CommandResult result = run(workDir, "start-director", command, COMMAND_TIMEOUT);
        if (result.exitCode() != 0) {
            throw new IllegalStateException("start-director.sh failed with exit code " + result.exitCode() + ":\n"
                    + result.output());
        }
    }

    private Path configFile() {
        return scriptState == null ? config : scriptState.resolve("director.conf");
    }

    /**
     * Returns, for each user in order, the address that {@code doveadm director status USER} prints
     * after {@code Hashed:}, or "" where it printed none. One shell process runs all lookups.
     */
    List<String> hashedBackends(List<String> users) throws IOException, InterruptedException {
        if (users.size() > MAX_USERS_PER_BATCH) {
            throw new IllegalArgumentException("at most " + MAX_USERS_PER_BATCH + " users per batch, got "
                    + users.size());
        }
        batch++;
        Path userFile = workDir.resolve("users-" + batch + ".txt");
        Path errors = workDir.resolve("doveadm-errors-" + batch + ".log");
        Files.write(userFile, users, StandardCharsets.UTF_8);

        CommandResult result = run(workDir, "hashed-" + batch, List.of("sh", "-c", STATUS_LOOP, "status-loop",
                DOVEADM.toString(), configFile().toString(), userFile.toString(), errors.toString()), BATCH_TIMEOUT);
        if (result.exitCode() != 0) {
            throw new IllegalStateException("the doveadm status loop failed with exit code " + result.exitCode()
                    + ":\n" + result.output());
        }
        List<String> lines = result.output().lines().toList();
        if (lines.size() != users.size()) {
            throw new IllegalStateException("the doveadm status loop printed " + lines.size() + " lines for "
                    + users.size() + " users; doveadm errors are in " + errors);
        }
        return lines;
    }

    /** Marks a backend down with {@code doveadm director down} and waits until the director lists it so. */
    void down(String backendIp) throws IOException, InterruptedException {
        doveadm("director", "down", backendIp);
        awaitHosts(hosts -> hosts.containsKey(backendIp) && hosts.get(backendIp).state().equals("down"),
                backendIp + " listed as down");
    }

    record HostRow(int vhosts, String state) {
    }

    /** Returns the rows of {@code doveadm director status} by backend address. */
    Map<String, HostRow> hosts() throws IOException, InterruptedException {
        Map<String, HostRow> hosts = new HashMap<>();
        // Rows without a tag read: address, vhosts, state, state change time, users.
        for (String line : doveadm("director", "status").lines().skip(1).toList()) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length >= 3) {
                hosts.put(fields[0], new HostRow(Integer.parseInt(fields[1]), fields[2]));
            }
        }
        return hosts;
    }

    /** Returns the director's log file, for failure messages. */
    String log() {
        Path log = scriptState == null ? workDir.resolve("director.log") : scriptState.resolve("director.log");
        try {
            return Files.exists(log) ? Files.readString(log) : "(no log at " + log + ")";
        } catch (IOException e) {
            return "(reading " + log + " failed: " + e.getMessage() + ")";
        }
    }

    private String doveadm(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(DOVEADM.toString(), "-c", configFile().toString()));
        command.addAll(List.of(arguments));
        CommandResult result = run(workDir, "doveadm", command, COMMAND_TIMEOUT);
        if (result.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed with exit code "
                    + result.exitCode() + ":\n" + result.output());
        }
        return result.output();
    }

    private void awaitReady() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + STATE_TIMEOUT.toNanos();
        while (true) {
            if (ownMaster != null && !ownMaster.isAlive()) {
                throw new IllegalStateException("dovecot -F -c " + config + " exited with code "
                        + ownMaster.exitValue() + ":\n" + log());
            }
            try {
                doveadm("director", "status");
                return;
            } catch (IllegalStateException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the director did not respond to doveadm within "
                            + STATE_TIMEOUT.toSeconds() + " s. Its log:\n" + log(), e);
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    private void awaitHosts(Predicate<Map<String, HostRow>> condition, String description) throws IOException,
            InterruptedException {
        long deadline = System.nanoTime() + STATE_TIMEOUT.toNanos();
        Map<String, HostRow> hosts = hosts();
        while (!condition.test(hosts)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + STATE_TIMEOUT.toSeconds()
                        + " s waiting for " + description + "; director status: " + hosts);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            hosts = hosts();
        }
    }

    /** Stops the director: with stop-director.sh when the start script started it, else by its master PID. */
    @Override
    public void close() {
        try {
            if (scriptState == null) {
                if (ownMaster != null) {
                    stopProcess(ownMaster.toHandle());
                }
                return;
            }
            if (!Files.isDirectory(scriptState)) {
                return;
            }
            Optional<ProcessHandle> master = scriptMaster();
            CommandResult result = run(workDir, "stop-director",
                    List.of("bash", STOP_SCRIPT.toString(), "--state", scriptState.toString()), COMMAND_TIMEOUT);
            if (result.exitCode() != 0 || master.map(ProcessHandle::isAlive).orElse(false)) {
                master.ifPresent(DovecotDirector::stopProcess);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("stopping the director of " + configFile() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the director of " + configFile(), e);
        }
    }

    // start-director.sh records "PID director dovecot" in STATE/pids. The PID counts only while
    // its command line names the state folder, so a reused PID is never signalled.
    private Optional<ProcessHandle> scriptMaster() throws IOException {
        Path pids = scriptState.resolve("pids");
        if (!Files.exists(pids)) {
            return Optional.empty();
        }
        for (String line : Files.readAllLines(pids)) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length == 3 && fields[1].equals("director") && fields[0].matches("[0-9]+")) {
                return ProcessHandle.of(Long.parseLong(fields[0]))
                        .filter(handle -> handle.info().commandLine().orElse("").contains(scriptState.toString()));
            }
        }
        return Optional.empty();
    }

    // SIGTERM makes the Dovecot master stop its child processes before it exits.
    private static void stopProcess(ProcessHandle process) {
        process.destroy();
        try {
            process.onExit().get(15, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            process.destroyForcibly();
            process.onExit().orTimeout(5, TimeUnit.SECONDS).join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private record CommandResult(int exitCode, String output) {
    }

    // Runs a command with stdin from /dev/null and stdout and stderr to one file, which cannot
    // fill up and block the command the way an unread pipe can.
    private static CommandResult run(Path dir, String name, List<String> command, Duration timeout)
            throws IOException, InterruptedException {
        Path output = Files.createTempFile(dir, name + "-", ".out");
        Process process = new ProcessBuilder(command)
                .redirectInput(Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
            throw new IllegalStateException(String.join(" ", command) + " timed out after "
                    + timeout.toSeconds() + " s; its output so far is in " + output);
        }
        return new CommandResult(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }
}
