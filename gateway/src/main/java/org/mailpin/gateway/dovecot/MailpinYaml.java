package org.mailpin.gateway.dovecot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.mailpin.gateway.dovecot.ImportNote.Kind;
import org.mailpin.gateway.dovecot.ImportedConfig.Backend;
import org.mailpin.gateway.dovecot.ImportedConfig.Listener;

/**
 * Writes an imported configuration as Mailpin YAML, with the notes at the top and the Dovecot
 * origin of each section as a comment. Keys that Dovecot's director has no counterpart for (the
 * web gateway, the admin API) get placeholders that {@code mailpin check-config} reports until
 * the administrator fills them in.
 */
public final class MailpinYaml {

    /** Relative to the written file, like every relative path in the config. */
    public static final String SECRET_PLACEHOLDER = "PLACEHOLDER-web-secret";
    public static final String TOKEN_PLACEHOLDER = "PLACEHOLDER-admin-token";
    /** The {@code .invalid} top-level domain never resolves (RFC 2606). */
    public static final String ROUNDCUBE_PLACEHOLDER = "http://placeholder-roundcube.invalid/";

    private static final int WIDTH = 100;
    private static final Set<String> YAML_WORDS = Set.of("y", "n", "yes", "no", "on", "off", "true", "false", "null", "~");

    private MailpinYaml() {
    }

    /** Returns the notes about the placeholders, which the importer reports like its other notes. */
    public static List<ImportNote> placeholderNotes() {
        return List.of(
                new ImportNote(Kind.ACTION, 0, "web.secret-file and admin.token-file name the placeholder files "
                        + SECRET_PLACEHOLDER + " and " + TOKEN_PLACEHOLDER + " next to this config. Create them with "
                        + "random secrets (head -c 48 /dev/urandom | base64 > FILE, mode 0600) and give the Roundcube "
                        + "plugin the same web secret; 'mailpin check-config' reports them as not found until then"),
                new ImportNote(Kind.ACTION, 0, "web.roundcube[0].url is the placeholder " + ROUNDCUBE_PLACEHOLDER
                        + "; set it to your Roundcube instance (docs/web-gateway.md)"));
    }

    public static String render(ImportedConfig config) {
        StringBuilder out = new StringBuilder();
        header(out, config);
        director(out, config.director());
        cluster(out, config.cluster());
        backends(out, config.backends());
        mail(out, config.mail());
        out.append("""

                # The web gateway in front of Roundcube; Dovecot's director had none (docs/web-gateway.md).
                web:
                  secret-file: %s
                  roundcube:
                    - id: rc1
                      url: %s

                admin:
                  token-file: %s
                """.formatted(SECRET_PLACEHOLDER, ROUNDCUBE_PLACEHOLDER, TOKEN_PLACEHOLDER));
        return out.toString();
    }

    private static void header(StringBuilder out, ImportedConfig config) {
        comment(out, "Mailpin gateway configuration, imported from " + config.source() + " by 'mailpin "
                + "import-dovecot'. Comments name the Dovecot settings each section replaces; "
                + "docs/configuration.md lists every key.");
        List<ImportNote> notes = new ArrayList<>(placeholderNotes());
        notes.addAll(config.notes());
        noteList(out, "Before the first start:", notes, Kind.ACTION);
        noteList(out, "Not translated; check these by hand:", notes, Kind.UNTRANSLATED);
        noteList(out, "Not needed with Mailpin:", notes, Kind.NOT_NEEDED);
    }

    private static void noteList(StringBuilder out, String title, List<ImportNote> notes, Kind kind) {
        List<ImportNote> selected = notes.stream().filter(n -> n.kind() == kind).toList();
        if (selected.isEmpty()) {
            return;
        }
        out.append("#\n# ").append(title).append('\n');
        for (ImportNote note : selected) {
            comment(out, "", "  - ", "    ", note.located());
        }
    }

    private static void director(StringBuilder out, ImportedConfig.Director director) {
        if (director == null) {
            return;
        }
        out.append('\n');
        comment(out, "From " + director.origin() + ".");
        out.append("director:\n");
        if (director.userExpire() != null) {
            out.append("  user-expire: ").append(duration(director.userExpire())).append('\n');
        }
        if (director.hashFormat() != null) {
            out.append("  username:\n    hash-format: ").append(scalar(director.hashFormat())).append('\n');
        }
    }

    private static void cluster(StringBuilder out, ImportedConfig.Cluster cluster) {
        if (cluster == null) {
            return;
        }
        out.append('\n');
        comment(out, "From " + cluster.origin());
        out.append("cluster:\n");
        out.append("  bind: ").append(scalar(cluster.bind())).append('\n');
        out.append("  members:\n");
        for (String member : cluster.members()) {
            out.append("    - ").append(scalar(member)).append('\n');
        }
    }

    private static void backends(StringBuilder out, ImportedConfig.Backends backends) {
        out.append('\n');
        comment(out, "From " + backends.origin() + ". Every backend has Dovecot's default of "
                + DirectorImporter.DOVECOT_VHOSTS + " vhosts; counts changed with 'doveadm director add' or "
                + "'doveadm director update' are not in dovecot.conf, so compare with 'doveadm director status'. "
                + "Mailpin's proxies connect to Dovecot's default ports (143, 110, 24, 4190, 587), as the "
                + "director's did.");
        out.append("backends:\n");
        for (Backend backend : backends.list()) {
            out.append("  - id: ").append(backend.id()).append('\n');
            out.append("    address: ").append(scalar(backend.address())).append('\n');
            out.append("    vhosts: ").append(backend.vhosts()).append('\n');
            if (!backend.tag().isEmpty()) {
                out.append("    tag: ").append(scalar(backend.tag())).append('\n');
            }
        }
    }

    private static void mail(StringBuilder out, ImportedConfig.Mail mail) {
        if (mail == null) {
            return;
        }
        out.append('\n');
        comment(out, "The login services that ran with the director argument, and LMTP with lmtp_proxy. "
                + "Stop Dovecot's director before Mailpin takes over these ports.");
        out.append("mail:\n  listeners:\n");
        for (Listener listener : mail.listeners()) {
            comment(out, "    ", "", "", listener.origin());
            out.append("    - protocol: ").append(listener.protocol()).append('\n');
            out.append("      listen: ").append(scalar(listener.listen())).append('\n');
        }
        if (mail.certFile() != null) {
            out.append("  # From ssl_cert and ssl_key.\n  tls:\n");
            out.append("    cert-file: ").append(scalar(mail.certFile().toString())).append('\n');
            out.append("    key-file: ").append(scalar(mail.keyFile().toString())).append('\n');
        }
        if (mail.requireTls()) {
            out.append("  # From disable_plaintext_auth; see the note at the top.\n  require-tls: true\n");
        }
    }

    /**
     * Writes a comment wrapped at {@link #WIDTH} columns: {@code indent} before each {@code #},
     * {@code bullet} after the first one and {@code continuation} after the others.
     */
    private static void comment(StringBuilder out, String indent, String bullet, String continuation, String text) {
        String prefix = indent + "# " + bullet;
        StringBuilder line = new StringBuilder(prefix);
        for (String word : text.split(" ")) {
            if (line.length() > prefix.length() && line.length() + 1 + word.length() > WIDTH) {
                out.append(line.toString().stripTrailing()).append('\n');
                prefix = indent + "# " + continuation;
                line = new StringBuilder(prefix);
            }
            if (line.length() > prefix.length()) {
                line.append(' ');
            }
            line.append(word);
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }

    private static void comment(StringBuilder out, String text) {
        comment(out, "", "", "", text);
    }

    /** Returns Mailpin's form of a duration in its largest whole unit, e.g. {@code 60m} or {@code 2d}. */
    static String duration(Duration duration) {
        long seconds = duration.toSeconds();
        if (seconds % 86400 == 0) {
            return seconds / 86400 + "d";
        }
        if (seconds % 3600 == 0) {
            return seconds / 3600 + "h";
        }
        if (seconds % 60 == 0) {
            return seconds / 60 + "m";
        }
        return seconds + "s";
    }

    /** Returns a YAML scalar: plain when YAML reads it back as the same string, else double-quoted. */
    static String scalar(String value) {
        // Numbers, YAML 1.1 booleans and base-60 numbers such as 10:30 would not read back as strings.
        boolean plain = value.matches("[A-Za-z0-9_./-][A-Za-z0-9_./@:%-]*")
                && !value.endsWith(":")
                && !YAML_WORDS.contains(value.toLowerCase(java.util.Locale.ROOT))
                && !value.matches("[-+]?[0-9_]*\\.?[0-9_]+([eE][-+]?[0-9]+)?")
                && !value.matches("[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?");
        if (plain) {
            return value;
        }
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
