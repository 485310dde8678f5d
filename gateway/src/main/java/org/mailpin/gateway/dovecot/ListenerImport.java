package org.mailpin.gateway.dovecot;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.mailpin.gateway.dovecot.ConfigNode.Section;
import org.mailpin.gateway.dovecot.ConfigNode.Setting;
import org.mailpin.gateway.dovecot.ImportNote.Kind;
import org.mailpin.gateway.dovecot.ImportedConfig.Listener;

/**
 * Translates the listeners of the login services that run with the {@code director} argument, and
 * LMTP with {@code lmtp_proxy = yes}, into Mailpin's {@code mail:} section, with the TLS files of
 * {@code ssl_cert} and {@code ssl_key} and the plaintext rule of {@code disable_plaintext_auth}.
 */
final class ListenerImport {

    /** Listen address of the LMTP proxy when Dovecot took mail on its unix socket only. */
    static final String LMTP_FALLBACK = "127.0.0.1:24";

    /** A Dovecot login service and the listeners it has without configuration (doveconf 2.3.19 -d). */
    private record LoginService(String service, String protocol, String plainName, String tlsName,
                                List<DefaultListener> defaults) {
    }

    private record DefaultListener(String name, int port, boolean tls) {
    }

    /** A listener after merging Dovecot's default with the file's {@code inet_listener} section. */
    private record DovecotListener(String name, int port, boolean tls, String address, boolean haproxy, int line) {
    }

    private static final List<LoginService> LOGIN_SERVICES = List.of(
            new LoginService("imap-login", "imap", "imap", "imaps",
                    List.of(new DefaultListener("imap", 143, false), new DefaultListener("imaps", 993, true))),
            new LoginService("pop3-login", "pop3", "pop3", "pop3s",
                    List.of(new DefaultListener("pop3", 110, false), new DefaultListener("pop3s", 995, true))),
            new LoginService("managesieve-login", "sieve", "sieve", null,
                    List.of(new DefaultListener("sieve", 4190, false))),
            new LoginService("submission-login", "submission", "submission", "submissions",
                    List.of(new DefaultListener("submission", 587, false))));

    private final Section root;
    private final String file;
    private final List<ImportNote> notes;

    /** @param file  the file name used in error messages */
    ListenerImport(Section root, String file, List<ImportNote> notes) {
        this.root = root;
        this.file = file;
        this.notes = notes;
    }

    /** Returns the {@code mail:} section, or null when nothing is proxied through the director. */
    ImportedConfig.Mail translate() {
        Tls tls = tls();
        List<Listener> listeners = new ArrayList<>();
        for (LoginService login : LOGIN_SERVICES) {
            service(login.service()).ifPresent(section -> loginListeners(login, section, tls, listeners));
        }
        lmtpListeners(listeners);
        if (listeners.isEmpty()) {
            return null;
        }
        return new ImportedConfig.Mail(List.copyOf(listeners), tls.cert(), tls.key(), requireTls(tls));
    }

    private void loginListeners(LoginService login, Section section, Tls tls, List<Listener> listeners) {
        String executable = section.setting("executable").map(Setting::value).orElse("");
        if (!List.of(executable.split("\\s+")).contains("director")) {
            note(Kind.UNTRANSLATED, section.line(), "service " + login.service() + " runs without the director "
                    + "argument (executable = " + login.service() + " director), so its logins did not go through "
                    + "the director; no " + login.protocol() + " listener written");
            return;
        }
        if (!protocolEnabled(login.protocol())) {
            note(Kind.UNTRANSLATED, section.line(), "service " + login.service() + ": protocols does not list "
                    + login.protocol() + ", so Dovecot did not run it; no " + login.protocol() + " listener written");
            return;
        }

        for (DovecotListener listener : merged(login, section)) {
            String origin = "service " + login.service() + " inet_listener " + listener.name()
                    + (listener.line() > 0 ? " (line " + listener.line() + ")" : " (Dovecot's default)");
            // Dovecot's default listeners have no line of their own, so notes point at their service.
            int line = listener.line() > 0 ? listener.line() : section.line();
            if (listener.port() == 0) {
                continue;
            }
            if (listener.haproxy()) {
                note(Kind.UNTRANSLATED, line, origin + " takes the HAProxy protocol, which Mailpin does "
                        + "not read; no listener written for port " + listener.port());
                continue;
            }
            if (listener.tls() && (login.tlsName() == null || !tls.usable())) {
                note(Kind.UNTRANSLATED, line, origin + " on port " + listener.port() + " starts TLS, and "
                        + tls.missing() + "; add mail.tls and a listener with protocol "
                        + (login.tlsName() == null ? login.plainName() : login.tlsName()) + " by hand");
                continue;
            }
            String protocol = listener.tls() ? login.tlsName() : login.plainName();
            for (String host : hosts(listener.address())) {
                listeners.add(new Listener(protocol, hostPort(host, listener.port()), origin));
            }
        }
    }

    private void lmtpListeners(List<Listener> listeners) {
        Optional<Setting> proxy = root.setting("lmtp_proxy");
        if (proxy.isEmpty() || !isYes(proxy.get().value())) {
            return;
        }
        if (!protocolEnabled("lmtp")) {
            note(Kind.UNTRANSLATED, proxy.get().line(), "lmtp_proxy = yes, but protocols does not list lmtp, so "
                    + "Dovecot did not run it; no lmtp listener written");
            return;
        }
        int before = listeners.size();
        Section lmtp = service("lmtp").orElse(null);
        if (lmtp != null) {
            for (Section listener : lmtp.sections("inet_listener")) {
                int port = port(listener, 0);
                if (port == 0) {
                    continue;
                }
                String origin = "service lmtp inet_listener " + listener.name() + " (line " + listener.line() + ")";
                for (String host : hosts(listener.setting("address").map(Setting::value).orElse(""))) {
                    listeners.add(new Listener("lmtp", hostPort(host, port), origin));
                }
            }
        }
        if (listeners.size() == before) {
            listeners.add(new Listener("lmtp", LMTP_FALLBACK, "lmtp_proxy = yes (line " + proxy.get().line()
                    + "), which took mail on Dovecot's unix socket"));
            note(Kind.ACTION, proxy.get().line(), "lmtp_proxy = yes: Dovecot took LMTP on its unix socket, and Mailpin "
                    + "takes it over TCP only, so the lmtp listener is " + LMTP_FALLBACK + ". Point the MTA there, "
                    + "e.g. Postfix: virtual_transport = lmtp:inet:" + LMTP_FALLBACK);
        }
    }

    /** Returns the service's listeners: Dovecot's defaults by name, changed or added by the file. */
    private List<DovecotListener> merged(LoginService login, Section section) {
        Map<String, DovecotListener> byName = new LinkedHashMap<>();
        for (DefaultListener d : login.defaults()) {
            byName.put(d.name(), new DovecotListener(d.name(), d.port(), d.tls(), "", false, 0));
        }
        int unnamed = 0;
        for (Section configured : section.sections("inet_listener")) {
            String name = configured.name().isEmpty() ? "#" + ++unnamed : configured.name();
            DovecotListener base = byName.getOrDefault(name, new DovecotListener(name, 0, false, "", false, 0));
            boolean tls = configured.setting("ssl").map(s -> isYes(s.value())).orElse(base.tls());
            boolean haproxy = configured.setting("haproxy").map(s -> isYes(s.value())).orElse(false);
            String address = configured.setting("address").map(Setting::value).orElse(base.address());
            byName.put(name, new DovecotListener(name, port(configured, base.port()), tls, address, haproxy,
                    configured.line()));
        }
        return List.copyOf(byName.values());
    }

    private Tls tls() {
        String ssl = root.setting("ssl").map(Setting::value).orElse("yes");
        if (ssl.equals("no")) {
            return new Tls(null, null, "ssl = no");
        }
        Path cert = fileSetting("ssl_cert");
        Path key = fileSetting("ssl_key");
        if (cert == null || key == null) {
            return new Tls(null, null, "this file has no ssl_cert and ssl_key of the form '</path/file.pem'");
        }
        for (Path file : List.of(cert, key)) {
            if (!Files.isReadable(file)) {
                return new Tls(null, null, file + " (ssl_cert or ssl_key) is not readable here");
            }
        }
        return new Tls(cert, key, null);
    }

    /** The TLS files, or why there are none. */
    private record Tls(Path cert, Path key, String missing) {

        boolean usable() {
            return cert != null;
        }
    }

    /**
     * Returns whether plaintext logins are rejected, as Dovecot's {@code disable_plaintext_auth}
     * (default yes) and {@code ssl = required} do. Dovecot still allows them from its own host and
     * {@code login_trusted_networks}, but Mailpin's {@code require-tls} allows them from nowhere.
     */
    private boolean requireTls(Tls tls) {
        Optional<Setting> disable = root.setting("disable_plaintext_auth");
        boolean plaintextDisabled = disable.map(s -> isYes(s.value())).orElse(true)
                || root.setting("ssl").map(s -> s.value().equals("required")).orElse(false);
        if (!plaintextDisabled) {
            return false;
        }
        int line = disable.map(Setting::line).orElse(0);
        String rule = disable.isPresent() ? "disable_plaintext_auth = " + disable.get().value()
                : "disable_plaintext_auth is not set here, and Dovecot's default is yes";
        if (tls.usable()) {
            note(Kind.ACTION, line, rule + ": Dovecot took plaintext logins only over TLS, from its own host and "
                    + "from login_trusted_networks; mail.require-tls: true rejects them from every address");
            return true;
        }
        note(Kind.UNTRANSLATED, line, rule + ": Dovecot took plaintext logins only over TLS, but " + tls.missing()
                + ", so the written config accepts plaintext logins. Add mail.tls and require-tls: true");
        return false;
    }

    private Path fileSetting(String key) {
        String value = root.setting(key).map(Setting::value).orElse("");
        return value.startsWith("<") ? Path.of(value.substring(1).strip()) : null;
    }

    private boolean protocolEnabled(String protocol) {
        Optional<Setting> protocols = root.setting("protocols");
        if (protocols.isEmpty()) {
            return true;
        }
        return List.of(protocols.get().value().toLowerCase(Locale.ROOT).split("[\\s,]+")).contains(protocol);
    }

    private Optional<Section> service(String name) {
        List<Section> services = root.sections("service").stream().filter(s -> s.name().equals(name)).toList();
        return services.isEmpty() ? Optional.empty() : Optional.of(services.get(services.size() - 1));
    }

    /**
     * Returns the addresses a listener binds: its own {@code address}, else {@code listen}, else
     * Dovecot's default {@code *, ::}. Java binds {@code [::]} for IPv4 too while Linux's
     * {@code net.ipv6.bindv6only} is 0, its default, so {@code *} and {@code ::} together become
     * {@code ::} alone, because a second listener on 0.0.0.0 and the same port would fail to bind.
     */
    private Set<String> hosts(String listenerAddress) {
        String value = listenerAddress.isBlank()
                ? root.setting("listen").map(Setting::value).orElse("*, ::")
                : listenerAddress;
        Set<String> hosts = new LinkedHashSet<>();
        for (String address : value.strip().split("[\\s,]+")) {
            if (address.isEmpty()) {
                continue;
            }
            hosts.add(switch (address) {
                case "*" -> "0.0.0.0";
                case "::", "[::]" -> "::";
                default -> address.startsWith("[") && address.endsWith("]")
                        ? address.substring(1, address.length() - 1) : address;
            });
        }
        if (hosts.contains("0.0.0.0") && hosts.contains("::")) {
            hosts.remove("0.0.0.0");
        }
        return hosts;
    }

    private int port(Section listener, int fallback) {
        Optional<Setting> port = listener.setting("port");
        if (port.isEmpty()) {
            return fallback;
        }
        try {
            int number = Integer.parseInt(port.get().value());
            if (number >= 0 && number <= 65535) {
                return number;
            }
        } catch (NumberFormatException e) {
            // Reported below with the line.
        }
        throw DovecotConfigException.at(file, port.get().line(), "invalid port '" + port.get().value() + "' in "
                + listener.title() + "; expected a number from 0 (off) to 65535");
    }

    static String hostPort(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    static boolean isYes(String value) {
        return List.of("yes", "y", "true", "1").contains(value.toLowerCase(Locale.ROOT));
    }

    private void note(Kind kind, int line, String text) {
        notes.add(new ImportNote(kind, line, text));
    }
}
