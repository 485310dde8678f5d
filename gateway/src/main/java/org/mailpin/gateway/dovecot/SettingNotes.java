package org.mailpin.gateway.dovecot;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.mailpin.gateway.dovecot.ConfigNode.Include;
import org.mailpin.gateway.dovecot.ConfigNode.Section;
import org.mailpin.gateway.dovecot.ConfigNode.Setting;
import org.mailpin.gateway.dovecot.ImportNote.Kind;

/**
 * Writes a note for every part of a Dovecot file that the importer does not translate into a
 * Mailpin key, so that nothing in the file is dropped without a word.
 */
final class SettingNotes {

    /** Top-level settings that {@link DirectorImporter} and {@link ListenerImport} translate. */
    static final Set<String> TRANSLATED = Set.of("director_servers", "director_mail_servers", "director_user_expire",
            "director_username_hash", "listen", "protocols", "ssl", "ssl_cert", "ssl_key", "disable_plaintext_auth",
            "lmtp_proxy");

    /** Services whose listeners {@link ListenerImport} translates. */
    static final Set<String> LISTENER_SERVICES = Set.of("imap-login", "pop3-login", "managesieve-login",
            "submission-login", "lmtp");

    private static final String RING_TUNING = "tunes the protocol between Dovecot's directors; Mailpin's nodes share "
            + "their state through Hazelcast instead";

    private static final Map<String, String> NOT_NEEDED = Map.of(
            "director_ping_idle_timeout", RING_TUNING,
            "director_ping_max_timeout", RING_TUNING,
            "director_output_buffer_size", RING_TUNING,
            "director_max_parallel_moves", RING_TUNING,
            "director_max_parallel_kicks", RING_TUNING,
            "director_user_kick_delay", RING_TUNING,
            "auth_socket_path", "points Dovecot's processes at the director's sockets; Mailpin's proxies ask "
                    + "their director in the same process");

    private final List<ImportNote> notes;

    SettingNotes(List<ImportNote> notes) {
        this.notes = notes;
    }

    /** Notes every top-level node that is not translated. */
    void noteAll(Section root) {
        for (ConfigNode node : root.children()) {
            switch (node) {
                case Setting setting -> noteSetting(setting, "");
                case Section section -> noteSection(section);
                case Include include -> add(Kind.UNTRANSLATED, include.line(), "!include" + (include.optional() ? "_try " : " ")
                        + include.path() + " was not followed; import the output of 'doveconf -n', which contains "
                        + "the included files, to translate their settings too");
            }
        }
    }

    private void noteSetting(Setting setting, String where) {
        String key = setting.key();
        if (where.isEmpty() && TRANSLATED.contains(key)) {
            return;
        }
        String described = where + key + " = " + setting.value();
        if (key.equals("auth_username_format")) {
            noteUsernameFormat(setting, described);
        } else if (NOT_NEEDED.containsKey(key)) {
            add(Kind.NOT_NEEDED, setting.line(), described + ": " + NOT_NEEDED.get(key));
        } else if (key.equals("director_flush_socket")) {
            add(Kind.UNTRANSLATED, setting.line(), described + ": Dovecot runs this program when it flushes a backend's "
                    + "users; Mailpin has no such hook");
        } else {
            add(Kind.UNTRANSLATED, setting.line(), described + ": no Mailpin equivalent; the importer translates "
                    + "the director's own settings only");
        }
    }

    // Dovecot's default %Lu lowercases the whole name, which is Mailpin's default too.
    private void noteUsernameFormat(Setting setting, String described) {
        if (setting.value().equals("%Lu")) {
            add(Kind.NOT_NEEDED, setting.line(), described + ": Mailpin lowercases user names by default "
                    + "(director.username.lowercase: true)");
        } else {
            add(Kind.UNTRANSLATED, setting.line(), described + ": Mailpin can only lowercase user names or keep them "
                    + "(director.username.lowercase); check that users still map to the same backends with "
                    + "'mailpin ring'");
        }
    }

    private void noteSection(Section section) {
        String type = section.type();
        if (type.equals("service")) {
            noteService(section);
        } else if (type.equals("passdb")) {
            notePassdb(section);
        } else if (type.equals("userdb")) {
            add(Kind.NOT_NEEDED, section.line(), "userdb: Mailpin looks up no users; each backend uses its own userdb");
        } else if (type.equals("protocol") && section.name().equals("lmtp")) {
            for (ConfigNode child : section.children()) {
                noteChild(child, "protocol lmtp: ");
            }
        } else {
            add(Kind.UNTRANSLATED, section.line(), section.title() + " { ... }: no Mailpin equivalent; the importer "
                    + "translates the director's own settings only");
        }
    }

    private void noteService(Section service) {
        String name = service.name();
        if (name.equals("director")) {
            noteDirectorService(service);
        } else if (name.equals("ipc")) {
            add(Kind.NOT_NEEDED, service.line(), "service ipc: carries Dovecot's kick commands between its "
                    + "processes; Mailpin kicks users itself");
        } else if (LISTENER_SERVICES.contains(name)) {
            for (ConfigNode child : service.children()) {
                if (child instanceof Section listener && listener.type().equals("inet_listener")) {
                    continue;
                }
                if (child instanceof Setting setting && setting.key().equals("executable")) {
                    continue;
                }
                noteProcessSetting(child, "service " + name + ": ");
            }
        } else {
            add(Kind.UNTRANSLATED, service.line(), "service " + name + " { ... }: no Mailpin equivalent");
        }
    }

    private void noteDirectorService(Section service) {
        for (ConfigNode child : service.children()) {
            if (child instanceof Section listener && listener.type().equals("inet_listener")) {
                continue;
            }
            if (child instanceof Section socket) {
                add(Kind.NOT_NEEDED, socket.line(), "service director " + socket.title() + ": connects Dovecot's "
                        + "login and LMTP processes to the director; Mailpin's proxies ask their director in the same "
                        + "process");
            } else {
                noteProcessSetting(child, "service director: ");
            }
        }
    }

    private void noteProcessSetting(ConfigNode child, String where) {
        switch (child) {
            case Setting setting -> add(Kind.NOT_NEEDED, setting.line(), where + setting.key() + " = " + setting.value()
                    + ": a process setting of Dovecot; Mailpin runs as one Java process");
            case Section section -> add(Kind.NOT_NEEDED, section.line(), where + section.title()
                    + ": a Dovecot socket that Mailpin does not use");
            case Include include -> noteChild(include, where);
        }
    }

    private void noteChild(ConfigNode child, String where) {
        switch (child) {
            case Setting setting -> noteSetting(setting, where);
            case Section section -> add(Kind.UNTRANSLATED, section.line(), where + section.title()
                    + " { ... }: no Mailpin equivalent");
            case Include include -> add(Kind.UNTRANSLATED, include.line(), where + "!include " + include.path()
                    + " was not followed");
        }
    }

    /**
     * Notes a passdb. The director's usual passdb proxies every login unchecked
     * ({@code proxy=y nopassword=y}) and the backend checks the password, which Mailpin does
     * without a passdb.
     */
    private void notePassdb(Section passdb) {
        String driver = passdb.setting("driver").map(Setting::value).orElse("");
        String args = passdb.setting("args").map(Setting::value).orElse("");
        List<String> fields = List.of(args.toLowerCase(Locale.ROOT).split("\\s+"));
        boolean proxy = fields.contains("proxy") || fields.contains("proxy=y") || fields.contains("proxy=yes");
        boolean noPassword = fields.contains("nopassword") || fields.contains("nopassword=y")
                || fields.contains("nopassword=yes");
        String described = "passdb { driver = " + driver + (args.isEmpty() ? "" : ", args = " + args) + " }";
        if (args.toLowerCase(Locale.ROOT).contains("director_tag")) {
            add(Kind.UNTRANSLATED, passdb.line(), described + ": Mailpin does not read user tags from a passdb; every user "
                    + "maps to the backends without a tag");
        } else if (driver.equals("static") && proxy && noPassword) {
            add(Kind.NOT_NEEDED, passdb.line(), described + ": the director checked no password and proxied every "
                    + "login; Mailpin does the same, and the backend checks the password");
        } else {
            add(Kind.UNTRANSLATED, passdb.line(), described + ": Mailpin has no passdb; it passes each login on to the "
                    + "user's backend, which checks the password");
        }
    }

    private void add(Kind kind, int line, String text) {
        notes.add(new ImportNote(kind, line, text));
    }
}
