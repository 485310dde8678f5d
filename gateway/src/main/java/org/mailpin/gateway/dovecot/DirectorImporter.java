package org.mailpin.gateway.dovecot;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.mailpin.director.UsernameNormalizer;
import org.mailpin.director.hazelcast.ClusterSettings;
import org.mailpin.gateway.dovecot.ConfigNode.Section;
import org.mailpin.gateway.dovecot.ConfigNode.Setting;
import org.mailpin.gateway.dovecot.ImportNote.Kind;
import org.mailpin.gateway.dovecot.ImportedConfig.Backend;
import org.mailpin.gateway.dovecot.ImportedConfig.Backends;
import org.mailpin.gateway.dovecot.ImportedConfig.Cluster;
import org.mailpin.gateway.dovecot.ImportedConfig.Director;
import org.mailpin.gateway.dovecot.MailServerList.MailServer;

/**
 * Translates a parsed Dovecot 2.3 director configuration into Mailpin's terms: the ring's backends,
 * the director settings, the peers and the mail listeners. Values that Dovecot itself would
 * reject stop the import, and settings Mailpin does without become notes.
 */
public final class DirectorImporter {

    /** Dovecot's director gives every mail server this many vhosts unless doveadm changes it. */
    static final int DOVECOT_VHOSTS = 100;

    private final String file;
    private final Map<String, List<String>> hosts;

    /**
     * @param file   the file name used in error messages
     * @param hosts  IP addresses of the host names in {@code director_mail_servers}, keyed by lowercase name
     */
    public DirectorImporter(String file, Map<String, List<String>> hosts) {
        this.file = file;
        this.hosts = hosts;
    }

    /**
     * Translates the configuration.
     *
     * @throws DovecotConfigException for a value Dovecot would reject or Mailpin cannot take,
     *                                naming the line, the value and the fix
     */
    public ImportedConfig translate(Path source, Section root) {
        List<ImportNote> notes = new ArrayList<>();
        new SettingNotes(notes).noteAll(root);
        Backends backends = backends(root);
        noteTags(backends, root.setting("director_mail_servers").orElseThrow().line(), notes);
        Director director = director(root, notes);
        Cluster cluster = cluster(root, notes);
        ImportedConfig.Mail mail = new ListenerImport(root, file, notes).translate();
        notes.sort(Comparator.comparingInt(ImportNote::line));
        return new ImportedConfig(source, director, cluster, backends, mail, List.copyOf(notes));
    }

    private Backends backends(Section root) {
        Setting servers = root.setting("director_mail_servers").orElseThrow(() -> new DovecotConfigException(file
                + ": no director_mail_servers setting, so there are no backends to import; import the director "
                + "node's configuration, e.g. the output of 'doveconf -n' there"));
        List<MailServer> parsed;
        try {
            parsed = MailServerList.parse(servers.value(), hosts);
        } catch (IllegalArgumentException e) {
            throw DovecotConfigException.at(file, servers.line(), "director_mail_servers: " + e.getMessage());
        }
        if (parsed.isEmpty()) {
            throw DovecotConfigException.at(file, servers.line(), "director_mail_servers is empty; list the backends' "
                    + "IP addresses, e.g. director_mail_servers = 10.0.0.11 10.0.0.12");
        }

        Map<String, String> seen = new HashMap<>();
        List<Backend> backends = new ArrayList<>();
        for (MailServer server : parsed) {
            String earlier = seen.putIfAbsent(server.address(), server.entry());
            if (earlier != null) {
                throw DovecotConfigException.at(file, servers.line(), "director_mail_servers lists " + server.address()
                        + " twice (in '" + earlier + "' and '" + server.entry() + "'); the address is a backend's "
                        + "identity on the ring, so list each backend once");
            }
            backends.add(new Backend("be" + (backends.size() + 1), server.address(), DOVECOT_VHOSTS, server.tag()));
        }
        return new Backends(List.copyOf(backends), servers.key() + " = " + servers.value() + " (line " + servers.line()
                + ")");
    }

    /**
     * Notes tagged backends: Mailpin routes every user on the untagged ring, as Dovecot does for
     * users whose passdb returns no {@code director_tag}, so tagged backends get no users.
     */
    private static void noteTags(Backends backends, int line, List<ImportNote> notes) {
        List<String> tagged = backends.list().stream().filter(b -> !b.tag().isEmpty())
                .map(b -> b.id() + "@" + b.tag()).toList();
        if (tagged.isEmpty()) {
            return;
        }
        boolean noneUntagged = tagged.size() == backends.list().size();
        notes.add(new ImportNote(noneUntagged ? Kind.ACTION : Kind.UNTRANSLATED, line, "director_mail_servers has tagged "
                + "backends (" + String.join(", ", tagged) + "): Mailpin sends every user to the backends without a "
                + "tag, as Dovecot does for users whose passdb returns no director_tag, so tagged backends get no users"
                + (noneUntagged ? ". No backend is untagged, so no user can log in until you remove a tag" : "")));
    }

    private Director director(Section root, List<ImportNote> notes) {
        List<String> origin = new ArrayList<>();
        Duration expire = null;
        Optional<Setting> expireSetting = root.setting("director_user_expire");
        if (expireSetting.isPresent()) {
            Setting setting = expireSetting.get();
            try {
                expire = DovecotTime.parse(setting.value());
            } catch (IllegalArgumentException e) {
                throw DovecotConfigException.at(file, setting.line(), "director_user_expire: " + e.getMessage());
            }
            if (expire.isZero()) {
                notes.add(new ImportNote(Kind.UNTRANSLATED, setting.line(), "director_user_expire = " + setting.value()
                        + ": Mailpin needs a user-expire above 0, so the written config keeps its default of 15m"));
                expire = null;
            } else {
                origin.add(setting.key() + " = " + setting.value() + " (line " + setting.line() + ")");
            }
        }

        String hashFormat = null;
        Optional<Setting> hashSetting = root.setting("director_username_hash");
        if (hashSetting.isPresent()) {
            Setting setting = hashSetting.get();
            try {
                new UsernameNormalizer(true, null, setting.value());
            } catch (IllegalArgumentException e) {
                throw DovecotConfigException.at(file, setting.line(), "director_username_hash: " + e.getMessage()
                        + ". Users would map to other backends than with Dovecot, so the import stops");
            }
            hashFormat = setting.value();
            origin.add(setting.key() + " = " + setting.value() + " (line " + setting.line() + ")");
        }
        return expire == null && hashFormat == null ? null : new Director(expire, hashFormat, String.join(", ", origin));
    }

    private Cluster cluster(Section root, List<ImportNote> notes) {
        Optional<Setting> setting = root.setting("director_servers");
        if (setting.isEmpty() || setting.get().value().isBlank()) {
            return null;
        }
        Setting servers = setting.get();
        Section listener = directorListener(root);
        int ringPort = listener == null ? 0 : listener.setting("port").map(s -> parsePort(s, "port")).orElse(0);

        // Entries on one host with different Dovecot ports get consecutive Hazelcast ports. An
        // entry repeated with the same port is one director, as in Dovecot.
        Map<String, Integer> nextPort = new HashMap<>();
        Set<String> dovecotEntries = new HashSet<>();
        Map<String, String> members = new LinkedHashMap<>();
        for (String entry : servers.value().strip().split("\\s+")) {
            ServerEntry server = serverEntry(entry, servers.line(), ringPort);
            if (!dovecotEntries.add(server.host() + " " + server.port())) {
                continue;
            }
            int port = nextPort.merge(server.host(), ClusterSettings.DEFAULT_PORT, (old, unused) -> old + 1);
            members.put(ListenerImport.hostPort(server.host(), port), server.host());
        }

        String bind = bind(listener, members, servers, notes);
        String origin = servers.key() + " = " + servers.value() + " (line " + servers.line() + "). Dovecot's directors "
                + "connect to each other on " + (ringPort > 0 ? "port " + ringPort : "their inet_listener port")
                + " (service director inet_listener" + (listener == null ? "" : ", line " + listener.line())
                + "); Mailpin's nodes share their state through Hazelcast on port " + ClusterSettings.DEFAULT_PORT
                + " instead, so each entry becomes HOST:" + ClusterSettings.DEFAULT_PORT + ". Open that port "
                + "between the nodes" + (ringPort > 0 ? "; " + ringPort + " is not used any more." : ".");
        return new Cluster(bind, List.copyOf(members.keySet()), origin);
    }

    /**
     * Picks this node's address: the director listener's own {@code address} when it names one of
     * the entries, else the only entry. With several entries the administrator must choose per node.
     */
    private String bind(Section listener, Map<String, String> members, Setting servers, List<ImportNote> notes) {
        String address = listener == null ? "" : listener.setting("address").map(Setting::value).orElse("").strip();
        for (Map.Entry<String, String> member : members.entrySet()) {
            if (member.getValue().equals(address)) {
                return member.getKey();
            }
        }
        String first = members.keySet().iterator().next();
        if (members.size() > 1) {
            notes.add(new ImportNote(Kind.ACTION, servers.line(), "director_servers lists " + members.size()
                    + " directors and the file does not say which one this is, so cluster.bind is the first, "
                    + first + ". On each node, set cluster.bind to that node's own entry of cluster.members"));
        }
        return first;
    }

    private static Section directorListener(Section root) {
        for (Section service : root.sections("service")) {
            if (service.name().equals("director") && !service.sections("inet_listener").isEmpty()) {
                return service.sections("inet_listener").get(0);
            }
        }
        return null;
    }

    private int parsePort(Setting setting, String name) {
        try {
            int port = Integer.parseInt(setting.value());
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // Reported below with the line.
        }
        throw DovecotConfigException.at(file, setting.line(), "invalid " + name + " '" + setting.value()
                + "'; expected a number from 0 to 65535");
    }

    /** One {@code director_servers} entry. Its port is Dovecot's ring port, which Mailpin does not use. */
    private record ServerEntry(String host, int port) {
    }

    /**
     * Parses one {@code director_servers} entry: {@code host}, {@code host:port}, {@code [IPv6]:port}
     * or a bare IPv6 address. An entry without a port uses the director's inet_listener port.
     */
    private ServerEntry serverEntry(String entry, int line, int ringPort) {
        String host = entry;
        String port = null;
        if (entry.startsWith("[")) {
            int end = entry.indexOf(']');
            host = end < 0 ? "" : entry.substring(1, end);
            if (end >= 0 && end + 1 < entry.length()) {
                port = entry.charAt(end + 1) == ':' ? entry.substring(end + 2) : "";
            }
        } else if (entry.indexOf(':') >= 0 && entry.indexOf(':') == entry.lastIndexOf(':')) {
            host = entry.substring(0, entry.indexOf(':'));
            port = entry.substring(entry.indexOf(':') + 1);
        }
        boolean validPort = port == null || port.matches("[0-9]{1,5}") && Integer.parseInt(port) >= 1
                && Integer.parseInt(port) <= 65535;
        if (host.isEmpty() || !validPort) {
            throw DovecotConfigException.at(file, line, "director_servers: invalid entry '" + entry
                    + "'; expected HOST, HOST:PORT or [IPv6]:PORT with a port from 1 to 65535");
        }
        return new ServerEntry(host, port == null ? ringPort : Integer.parseInt(port));
    }
}
