package org.mailpin.director.hazelcast;

import java.time.Instant;

import org.mailpin.director.Assignment;
import org.mailpin.director.AssignmentReason;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.director.WebSession;

/**
 * Encodes the shared records as tab-separated strings.
 *
 * <p>Strings keep the cluster free of Mailpin classes: a node in client mode can use an existing
 * Hazelcast cluster that has none of them on its class path, and {@code IMap.replace(key, old, new)}
 * compares the stored bytes. No field can contain a tab, because usernames reject control
 * characters and ids and addresses are validated.
 */
final class Codec {

    private static final String SEP = "\t";

    private Codec() {
    }

    static String encode(Assignment a) {
        return String.join(SEP, "a1", a.user(), a.backendId(), a.reason().name(),
                Long.toString(a.since().toEpochMilli()), Long.toString(a.lastActivity().toEpochMilli()), a.node());
    }

    static Assignment decodeAssignment(String text) {
        String[] f = fields(text, "a1", 7);
        return new Assignment(f[1], f[2], AssignmentReason.valueOf(f[3]), Instant.ofEpochMilli(Long.parseLong(f[4])),
                Instant.ofEpochMilli(Long.parseLong(f[5])), f[6]);
    }

    static String encode(Backend b) {
        BackendPorts p = b.ports();
        return String.join(SEP, "b2", b.id(), b.address(), Integer.toString(b.vhosts()), b.tag(),
                Integer.toString(p.imap()), Integer.toString(p.pop3()), Integer.toString(p.lmtp()),
                Integer.toString(p.sieve()), Integer.toString(p.submission()),
                b.webmail() == null ? "" : b.webmail(), Boolean.toString(b.up()), Boolean.toString(b.healthy()));
    }

    static Backend decodeBackend(String text) {
        String[] f = fields(text, "b2", 13);
        BackendPorts ports = new BackendPorts(Integer.parseInt(f[5]), Integer.parseInt(f[6]),
                Integer.parseInt(f[7]), Integer.parseInt(f[8]), Integer.parseInt(f[9]));
        return new Backend(f[1], f[2], Integer.parseInt(f[3]), f[4], ports, f[10].isEmpty() ? null : f[10],
                Boolean.parseBoolean(f[11]), Boolean.parseBoolean(f[12]));
    }

    static String encode(WebSession s) {
        return String.join(SEP, "w1", s.id(), s.user(), Long.toString(s.created().toEpochMilli()),
                Long.toString(s.lastRequest().toEpochMilli()), s.clientIp(), s.node());
    }

    static WebSession decodeWebSession(String text) {
        String[] f = fields(text, "w1", 7);
        return new WebSession(f[1], f[2], Instant.ofEpochMilli(Long.parseLong(f[3])),
                Instant.ofEpochMilli(Long.parseLong(f[4])), f[5], f[6]);
    }

    private static String[] fields(String text, String version, int count) {
        String[] fields = text.split(SEP, -1);
        if (fields.length != count || !fields[0].equals(version)) {
            throw new IllegalStateException("unreadable shared record (expected " + version + " with "
                    + count + " fields, found " + fields.length + "): written by an incompatible Mailpin version?");
        }
        return fields;
    }
}
