package org.mailpin.gateway.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.mailpin.director.IpAddresses;
import org.mailpin.gateway.mail.MailSettings;
import org.mailpin.gateway.mail.Protocol;

/** Reads the {@code mail:} section: listeners, TLS files and the proxy's limits. */
final class MailConfigLoader {

    // An IMAP client in IDLE re-issues it at most every 29 minutes (RFC 2177), so a shorter idle
    // timeout would cut such clients.
    static final Duration MIN_IDLE_TIMEOUT = Duration.ofMinutes(30);

    private MailConfigLoader() {
    }

    static MailSettings mail(Section s) {
        if (!s.present()) {
            return MailSettings.none();
        }
        s.allowOnly("listeners", "tls", "require-tls", "idle-timeout", "prelogin-timeout", "max-line",
                "max-bad-commands", "source-address", "master-user");

        List<MailSettings.Listener> listeners = new ArrayList<>();
        for (Section item : s.list("listeners")) {
            item.allowOnly("protocol", "listen");
            Protocol protocol = item.parsed("protocol", null, Protocol::parse);
            if (protocol == null) {
                throw item.error(item.key("protocol"), "missing; expected imap, imaps, pop3, pop3s, lmtp, sieve, submission or submissions");
            }
            HostPort listen = item.parsed("listen", null, t -> HostPort.parse(t, 0));
            if (listen == null) {
                throw item.error(item.key("listen"), "missing; expected HOST:PORT, e.g. 127.0.0.1:1143");
            }
            listeners.add(new MailSettings.Listener(protocol, listen.host(), listen.port()));
        }

        Section tls = s.section("tls").allowOnly("cert-file", "key-file");
        Path cert = tls.path("cert-file");
        Path key = tls.path("key-file");
        if ((cert == null) != (key == null)) {
            throw tls.error(tls.key(cert == null ? "cert-file" : "key-file"), "missing; cert-file and key-file go together");
        }
        for (String name : List.of("cert-file", "key-file")) {
            Path file = tls.path(name);
            if (file != null && !Files.isReadable(file)) {
                throw tls.error(tls.key(name), "cannot read " + file);
            }
        }
        boolean requireTls = s.bool("require-tls", false);
        boolean needsTls = requireTls || listeners.stream().anyMatch(l -> l.protocol().implicitTls());
        if (needsTls && cert == null) {
            throw s.error(s.key("tls"), "missing; implicit-TLS listeners and require-tls need cert-file and key-file");
        }

        Duration idle = s.duration("idle-timeout", MIN_IDLE_TIMEOUT);
        if (idle.compareTo(MIN_IDLE_TIMEOUT) < 0) {
            throw s.error(s.key("idle-timeout"), "must be at least 30m, or IMAP IDLE clients are cut");
        }
        Duration prelogin = s.duration("prelogin-timeout", Duration.ofMinutes(1));
        if (prelogin.toSeconds() < 1) {
            throw s.error(s.key("prelogin-timeout"), "must be at least 1s, e.g. 60s");
        }
        long maxLine = s.size("max-line", 8192);
        if (maxLine < 1024 || maxLine > 1024 * 1024) {
            throw s.error(s.key("max-line"), "must be from 1KB to 1MB, e.g. 8KB");
        }

        String source = s.parsed("source-address", null, IpAddresses::canonical);
        Section master = s.section("master-user").allowOnly("name", "password-file");
        String masterName = master.string("name", null);
        Path masterPassword = master.path("password-file");
        if ((masterName == null) != (masterPassword == null)) {
            throw master.error(master.key(masterName == null ? "name" : "password-file"),
                    "missing; a master user needs both name and password-file");
        }

        return new MailSettings(listeners, cert, key, requireTls, idle, prelogin, (int) maxLine,
                s.integer("max-bad-commands", 10, 1, 1000), source, masterName, masterPassword);
    }
}
