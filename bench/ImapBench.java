import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * IMAP load driver for side-by-side runs against Mailpin, Dovecot's director and a backend.
 * Plain sockets, no client library, so the driver costs the same against every target.
 *
 * <pre>
 *   java bench/ImapBench.java logins HOST:PORT USERS SECONDS THREADS
 *   java bench/ImapBench.java fetch  HOST:PORT USER PASSWORD COUNT
 *   java bench/ImapBench.java idle   HOST:PORT USERS CONNECTIONS PID [PID...]
 * </pre>
 *
 * USERS is a file of "user password" lines. Every mode prints one result line of key=value pairs.
 * The loops are bounded by SECONDS or COUNT and stop by themselves.
 */
public class ImapBench {

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "logins" -> logins(address(args[1]), users(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            case "fetch" -> fetch(address(args[1]), args[2], args[3], Integer.parseInt(args[4]));
            case "idle" -> idle(address(args[1]), users(args[2]), Integer.parseInt(args[3]),
                    List.of(args).subList(4, args.length));
            default -> throw new IllegalArgumentException("unknown mode " + args[0] + "; expected logins, fetch or idle");
        }
    }

    /** LOGIN+LOGOUT on a fresh connection, in THREADS parallel loops for SECONDS. */
    static void logins(InetSocketAddress target, List<String[]> users, int seconds, int threads) throws Exception {
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int offset = t;
            workers.add(Thread.ofPlatform().start(() -> {
                int i = offset;
                while (System.nanoTime() < deadline) {
                    String[] user = users.get(Math.floorMod(i, users.size()));
                    i += threads;
                    try (Session s = Session.open(target)) {
                        if (s.command("LOGIN \"" + user[0] + "\" \"" + user[1] + "\"").startsWith("a OK")) {
                            s.command("LOGOUT");
                            done.incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                        }
                    } catch (IOException e) {
                        failed.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread worker : workers) {
            worker.join();
        }
        System.out.printf(Locale.ROOT, "mode=logins target=%s logins=%d failed=%d seconds=%d per_second=%.1f%n",
                target, done.get(), failed.get(), seconds, done.get() / (double) seconds);
    }

    /** FETCH BODY[] of the newest message in INBOX, COUNT times on one logged-in connection. */
    static void fetch(InetSocketAddress target, String user, String password, int count) throws Exception {
        try (Session s = Session.open(target)) {
            expectOk(s.command("LOGIN \"" + user + "\" \"" + password + "\""));
            expectOk(s.command("SELECT INBOX"));
            long bytes = 0;
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                bytes += s.fetchBody();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            s.command("LOGOUT");
            System.out.printf(Locale.ROOT, "mode=fetch target=%s fetches=%d bytes_each=%d ms_each=%.2f mb_per_second=%.1f%n",
                    target, count, bytes / count, seconds * 1000 / count, bytes / seconds / 1e6);
        }
    }

    /** Opens CONNECTIONS logged-in idle connections and prints the resident memory of the given processes. */
    static void idle(InetSocketAddress target, List<String[]> users, int connections, List<String> pids) throws Exception {
        long before = rss(pids);
        List<Session> open = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) {
                String[] user = users.get(Math.floorMod(i, users.size()));
                Session s = Session.open(target);
                open.add(s);
                expectOk(s.command("LOGIN \"" + user[0] + "\" \"" + user[1] + "\""));
            }
            System.gc();
            Thread.sleep(3000); // NOTE: lets the proxy settle its buffers; the figure is a snapshot, not an average.
            long after = rss(pids);
            System.out.printf(Locale.ROOT, "mode=idle target=%s connections=%d rss_before_kb=%d rss_after_kb=%d kb_per_connection=%.1f%n",
                    target, open.size(), before, after, (after - before) / (double) open.size());
        } finally {
            for (Session s : open) {
                s.close();
            }
        }
    }

    static long rss(List<String> pids) throws IOException {
        long total = 0;
        for (String pid : pids) {
            for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
                if (line.startsWith("VmRSS:")) {
                    total += Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        }
        return total;
    }

    static void expectOk(String reply) {
        if (!reply.startsWith("a OK")) {
            throw new IllegalStateException("expected OK, got: " + reply);
        }
    }

    static InetSocketAddress address(String text) {
        int colon = text.lastIndexOf(':');
        return new InetSocketAddress(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
    }

    static List<String[]> users(String file) throws IOException {
        return Files.readAllLines(Path.of(file)).stream().filter(l -> !l.isBlank()).map(l -> l.strip().split("\\s+")).toList();
    }

    /** One IMAP connection with tag "a" on every command. */
    static final class Session implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        Session(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        static Session open(InetSocketAddress target) throws IOException {
            Socket socket = new Socket();
            socket.connect(target, 10_000);
            socket.setSoTimeout(60_000);
            socket.setTcpNoDelay(true);
            Session s = new Session(socket);
            s.line();
            return s;
        }

        String command(String command) throws IOException {
            out.write(("a " + command + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            while (true) {
                String line = line();
                if (line.startsWith("a ")) {
                    return line;
                }
            }
        }

        /** FETCH * BODY.PEEK[] and returns the literal's size, reading it fully. */
        long fetchBody() throws IOException {
            out.write("a FETCH * BODY.PEEK[]\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long size = 0;
            while (true) {
                String line = line();
                if (line.startsWith("a ")) {
                    expectOk(line);
                    return size;
                }
                int brace = line.lastIndexOf('{');
                if (brace >= 0 && line.endsWith("}")) {
                    long literal = Long.parseLong(line.substring(brace + 1, line.length() - 1));
                    in.skipNBytes(literal);
                    size += literal;
                }
            }
        }

        String line() throws IOException {
            StringBuilder line = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0) {
                if (b == '\n') {
                    int end = line.length();
                    return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
                }
                line.append((char) b);
            }
            throw new IOException("connection closed");
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // Closing anyway.
            }
        }
    }
}
