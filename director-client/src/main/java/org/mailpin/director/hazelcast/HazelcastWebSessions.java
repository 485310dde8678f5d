package org.mailpin.director.hazelcast;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import org.mailpin.director.WebSession;
import org.mailpin.director.WebSessions;

import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;

/** Web sessions in a shared map whose max-idle (set in {@link HazelcastMembers}) ends idle ones. */
final class HazelcastWebSessions implements WebSessions {

    private final IMap<String, String> sessions;
    private final InstantSource clock;
    private final Duration refreshInterval;

    HazelcastWebSessions(IMap<String, String> sessions, InstantSource clock, Duration refreshInterval) {
        this.sessions = sessions;
        this.clock = clock;
        this.refreshInterval = refreshInterval;
    }

    @Override
    public void put(WebSession session) {
        sessions.set(session.id(), Codec.encode(session));
    }

    @Override
    public Optional<WebSession> find(String id) {
        return Optional.ofNullable(sessions.get(id)).map(Codec::decodeWebSession);
    }

    @Override
    public void touch(WebSession session) {
        var now = clock.instant();
        if (Duration.between(session.lastRequest(), now).compareTo(refreshInterval) < 0) {
            return;
        }
        sessions.replace(session.id(), Codec.encode(session), Codec.encode(session.withLastRequest(now)));
    }

    @Override
    public void remove(String id) {
        sessions.delete(id);
    }

    @Override
    public List<WebSession> forUser(String user) {
        // The LIKE predicate is one of Hazelcast's own, so members evaluate it where the entries
        // live, even in client mode where they have no Mailpin classes. It may also match a
        // session whose other fields look like the user, so the decoded user is compared again.
        String pattern = "w1\t%\t" + escapeLike(user) + "\t%";
        return sessions.values(Predicates.like("this", pattern)).stream()
                .map(Codec::decodeWebSession)
                .filter(session -> session.user().equals(user))
                .sorted(Comparator.comparing(WebSession::created).reversed())
                .toList();
    }

    // Hazelcast's LIKE treats % and _ as wildcards, and a backslash escapes them.
    static String escapeLike(String text) {
        StringBuilder escaped = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            if (c == '%' || c == '_' || c == '\\') {
                escaped.append('\\');
            }
            escaped.append(c);
        }
        return escaped.toString();
    }

    @Override
    public List<WebSession> list() {
        return sessions.values().stream()
                .map(Codec::decodeWebSession)
                .sorted(Comparator.comparing(WebSession::created).reversed())
                .toList();
    }
}
