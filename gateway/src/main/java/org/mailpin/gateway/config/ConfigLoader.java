package org.mailpin.gateway.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.director.DirectorSettings;
import org.mailpin.director.IpAddresses;
import org.mailpin.director.UsernameNormalizer;
import org.mailpin.director.hazelcast.ClusterSettings;
import org.mailpin.gateway.config.GatewayConfig.AdminSection;
import org.mailpin.gateway.config.GatewayConfig.ClusterMode;
import org.mailpin.gateway.config.GatewayConfig.ClusterSection;
import org.mailpin.gateway.config.GatewayConfig.DirectorSection;
import org.mailpin.gateway.config.GatewayConfig.RoundcubeInstance;
import org.mailpin.gateway.config.GatewayConfig.WebSection;
import org.mailpin.gateway.health.HealthSettings;
import org.mailpin.gateway.mail.MailSettings;

/**
 * Reads and validates the gateway's YAML config. Unknown keys and bad values stop the start with
 * the file, line, key and expected form; nothing falls back silently.
 */
public final class ConfigLoader {

    /** Roundcube's default attachment limit is far below this; 35 MB leaves room for a 25 MB file in base64. */
    public static final long DEFAULT_MAX_BODY = 35L * 1024 * 1024;

    private ConfigLoader() {
    }

    public static GatewayConfig load(Path file) {
        YamlDocument document = YamlDocument.read(file);
        Section root = new Section(document, document.root(), "")
                .allowOnly("node", "director", "backends", "web", "admin", "cluster", "mail", "health");

        String node = root.string("node", "mailpin");
        DirectorSection director = director(root.section("director"));
        List<RoundcubeInstance> roundcube = new ArrayList<>();
        WebSection web = web(root.section("web"), roundcube);
        List<Backend> backends = backends(root, roundcube);
        AdminSection admin = admin(root.section("admin"));
        if (admin.listenHost().equals(web.listenHost()) && admin.listenPort() == web.listenPort()) {
            throw root.error("admin.listen", "the same address as web.listen (" + web.listenHost() + ":"
                    + web.listenPort() + "); give the admin API its own port, e.g. 127.0.0.1:9180");
        }
        ClusterSection cluster = cluster(root.section("cluster"));
        MailSettings mail = MailConfigLoader.mail(root.section("mail"));
        HealthSettings health = HealthConfigLoader.health(root.section("health"), mail.sourceAddress());
        return new GatewayConfig(node, director, backends, web, admin, cluster, mail, health, file);
    }

    private static DirectorSection director(Section s) {
        s.allowOnly("user-expire", "username", "kick-rate");
        Section username = s.section("username").allowOnly("lowercase", "default-domain", "hash-format");
        String hashFormat = username.string("hash-format", UsernameNormalizer.DEFAULT_HASH_FORMAT);
        username.parsed("hash-format", null, f -> new UsernameNormalizer(true, null, f));
        Duration expire = s.duration("user-expire", DirectorSettings.DEFAULT_USER_EXPIRE);
        if (expire.isZero()) {
            throw s.error(s.key("user-expire"), "must be above 0, e.g. 15m");
        }
        String defaultDomain = username.string("default-domain", null);
        username.parsed("default-domain", null, d -> new UsernameNormalizer(true, d, UsernameNormalizer.DEFAULT_HASH_FORMAT));
        int kickRate = s.integer("kick-rate", DirectorSection.DEFAULT_KICK_RATE, 1, 100_000);
        return new DirectorSection(expire, username.bool("lowercase", true), defaultDomain, hashFormat, kickRate);
    }

    private static List<Backend> backends(Section root, List<RoundcubeInstance> roundcube) {
        List<Section> items = root.list("backends");
        if (items.isEmpty()) {
            throw root.error("backends", "missing; list at least one backend with id and address");
        }
        Set<String> ids = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        List<Backend> backends = new ArrayList<>();
        for (Section item : items) {
            item.allowOnly("id", "address", "vhosts", "tag", "imap-port", "pop3-port", "lmtp-port",
                    "sieve-port", "submission-port", "webmail");
            String id = item.requiredString("id", "be1");
            if (!id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
                throw item.error(item.key("id"), "invalid id '" + id + "'; expected letters, digits, '.', '_' or '-'");
            }
            if (!ids.add(id)) {
                throw item.error(item.key("id"), "duplicate backend id '" + id + "'");
            }
            String address = item.parsed("address", null, IpAddresses::canonical);
            if (address == null) {
                throw item.error(item.key("address"), "missing; expected the backend's IP address, e.g. 10.0.0.11");
            }
            if (!addresses.add(address)) {
                throw item.error(item.key("address"), "duplicate address " + address
                        + "; the address is the backend's identity on the ring");
            }
            BackendPorts defaults = BackendPorts.DEFAULTS;
            BackendPorts ports = new BackendPorts(
                    item.integer("imap-port", defaults.imap(), 0, 65535),
                    item.integer("pop3-port", defaults.pop3(), 0, 65535),
                    item.integer("lmtp-port", defaults.lmtp(), 0, 65535),
                    item.integer("sieve-port", defaults.sieve(), 0, 65535),
                    item.integer("submission-port", defaults.submission(), 0, 65535));
            String webmail = item.string("webmail", null);
            if (webmail != null && roundcube.stream().noneMatch(r -> r.id().equals(webmail))) {
                throw item.error(item.key("webmail"), "unknown Roundcube instance '" + webmail
                        + "'; expected one of the ids under web.roundcube");
            }
            backends.add(new Backend(id, address, item.integer("vhosts", 100, 0, Backend.MAX_VHOSTS),
                    item.string("tag", ""), ports, webmail, true));
        }
        return backends;
    }

    private static WebSection web(Section s, List<RoundcubeInstance> roundcube) {
        s.allowOnly("listen", "prefix", "public-hosts", "secret-file", "shared-sessions", "max-body-size",
                "session-idle", "session-cookie", "proxy-timeout", "roundcube");
        HostPort listen = s.parsed("listen", new HostPort("127.0.0.1", 8080), t -> HostPort.parse(t, 8080));

        String prefix = s.string("prefix", "/mail/");
        if (!prefix.startsWith("/") || !prefix.endsWith("/") || prefix.contains("//") && !prefix.equals("/")) {
            throw s.error(s.key("prefix"), "invalid prefix '" + prefix + "'; expected a path that starts and ends with /, e.g. /mail/");
        }

        Path secret = s.path("secret-file");
        if (secret == null) {
            throw s.error(s.key("secret-file"), "missing; expected the path of a file holding the secret shared with the Roundcube plugin");
        }

        for (Section item : s.list("roundcube")) {
            item.allowOnly("id", "url");
            String id = item.requiredString("id", "rc1");
            if (roundcube.stream().anyMatch(r -> r.id().equals(id))) {
                throw item.error(item.key("id"), "duplicate Roundcube instance id '" + id + "'");
            }
            URI url = item.uri("url");
            roundcube.add(new RoundcubeInstance(id, url));
        }
        if (roundcube.isEmpty()) {
            throw s.error(s.key("roundcube"), "missing; list at least one Roundcube instance with id and url");
        }

        String listenHost = listen.host().contains(":") ? "[" + listen.host() + "]" : listen.host();
        List<String> hosts = s.strings("public-hosts",
                List.of(listenHost + ":" + listen.port(), "localhost:" + listen.port()));
        long maxBody = s.size("max-body-size", DEFAULT_MAX_BODY);
        if (maxBody < 1024 * 1024) {
            throw s.error(s.key("max-body-size"), "too small (" + maxBody + " bytes); expected at least 1MB so logins and small messages fit");
        }
        Duration sessionIdle = s.duration("session-idle", Duration.ofMinutes(30));
        if (sessionIdle.toSeconds() < 1) {
            throw s.error(s.key("session-idle"), "must be at least 1s, e.g. 30m");
        }
        Duration proxyTimeout = s.duration("proxy-timeout", Duration.ofSeconds(120));
        if (proxyTimeout.toSeconds() < 1 || proxyTimeout.compareTo(Duration.ofDays(1)) > 0) {
            throw s.error(s.key("proxy-timeout"), "must be from 1s to 1d, e.g. 120s");
        }
        return new WebSection(listen.host(), listen.port(), prefix, List.copyOf(hosts), secret,
                s.bool("shared-sessions", false), maxBody, sessionIdle,
                s.string("session-cookie", "roundcube_sessid"), proxyTimeout,
                List.copyOf(roundcube));
    }

    private static AdminSection admin(Section s) {
        s.allowOnly("listen", "token-file");
        HostPort listen = s.parsed("listen", new HostPort("127.0.0.1", 9180), t -> HostPort.parse(t, 9180));
        Path token = s.path("token-file");
        if (token == null) {
            throw s.error(s.key("token-file"), "missing; expected the path of a file holding the admin bearer token");
        }
        return new AdminSection(listen.host(), listen.port(), token);
    }

    private static ClusterSection cluster(Section s) {
        s.allowOnly("name", "mode", "bind", "members", "min-members", "client");
        ClusterSettings defaults = ClusterSettings.singleMember();
        String name = s.string("name", defaults.name());
        String mode = s.string("mode", "member");
        return switch (mode) {
            case "member" -> memberCluster(s, name, defaults);
            case "client" -> clientCluster(s, name);
            default -> throw s.error(s.key("mode"), "invalid mode '" + mode + "'; expected member or client");
        };
    }

    private static ClusterSection memberCluster(Section s, String name, ClusterSettings defaults) {
        if (s.has("client")) {
            throw s.error(s.key("client"), "only used with mode: client; remove it or set cluster.mode to client");
        }
        HostPort bind = s.parsed("bind", new HostPort(defaults.bindAddress(), defaults.port()),
                t -> HostPort.parse(t, ClusterSettings.DEFAULT_PORT));
        // A member entry without a port uses this node's port, as members usually share one.
        List<String> members = addresses(s, "members", bind.port());
        int size = ClusterSettings.clusterSize(bind.host(), bind.port(), members);
        int minMembers = s.integer("min-members", ClusterSettings.defaultMinMembers(bind.host(), bind.port(), members),
                1, size);
        return new ClusterSection(name, ClusterMode.MEMBER, bind.host(), bind.port(), members, minMembers, List.of());
    }

    private static ClusterSection clientCluster(Section s, String name) {
        for (String memberOnly : List.of("bind", "members", "min-members")) {
            if (s.has(memberOnly)) {
                throw s.error(s.key(memberOnly), "only used with mode: member; in client mode the existing "
                        + "cluster's own configuration sets it");
            }
        }
        Section client = s.section("client").allowOnly("addresses");
        List<String> addresses = addresses(client, "addresses", ClusterSettings.DEFAULT_PORT);
        if (addresses.isEmpty()) {
            throw client.error(client.key("addresses"), "missing; list at least one member of the existing "
                    + "Hazelcast cluster as host:port, e.g. [\"10.0.0.5:5701\"]");
        }
        ClusterSettings unused = ClusterSettings.singleMember();
        return new ClusterSection(name, ClusterMode.CLIENT, unused.bindAddress(), unused.port(), List.of(), 1,
                addresses);
    }

    /** Reads a list of host or host:port entries as canonical host:port, IPv6 in brackets. */
    private static List<String> addresses(Section s, String name, int defaultPort) {
        List<String> entries = s.strings(name, List.of());
        Set<String> addresses = new LinkedHashSet<>();
        for (int i = 0; i < entries.size(); i++) {
            String key = s.key(name) + "[" + i + "]";
            HostPort address;
            try {
                address = HostPort.parse(entries.get(i), defaultPort);
            } catch (IllegalArgumentException e) {
                throw s.error(key, e.getMessage());
            }
            if (!validHost(address.host())) {
                throw s.error(key, "invalid host '" + address.host() + "' in '" + entries.get(i)
                        + "'; expected an IP address or host name and an optional port, e.g. 10.0.0.2:5701");
            }
            String host = address.host().contains(":") ? "[" + address.host() + "]" : address.host();
            if (!addresses.add(host + ":" + address.port())) {
                throw s.error(key, "duplicate entry '" + entries.get(i) + "'");
            }
        }
        return List.copyOf(addresses);
    }

    // Hazelcast also reads ranges such as 10.0.0.1-5 and wildcards; Mailpin lists each member once,
    // so anything made of digits, dots and dashes must be a plain IPv4 address.
    private static boolean validHost(String host) {
        if (host.contains(":") || host.matches("[0-9.-]+")) {
            try {
                IpAddresses.canonical(host);
                return true;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        return host.matches("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*");
    }
}
