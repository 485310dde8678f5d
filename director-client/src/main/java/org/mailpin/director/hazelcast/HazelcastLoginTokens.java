package org.mailpin.director.hazelcast;

import java.util.Optional;

import org.mailpin.director.LoginTokens;

import com.hazelcast.map.IMap;

/** Login pages in a shared map; the map's time-to-live (set in {@link HazelcastMembers}) ends old ones. */
final class HazelcastLoginTokens implements LoginTokens {

    private final IMap<String, String> tokens;

    HazelcastLoginTokens(IMap<String, String> tokens) {
        this.tokens = tokens;
    }

    @Override
    public void record(String sessionCookie, Issued issued) {
        String value = issued.instance() + "\t" + issued.token();
        if (!value.equals(tokens.get(sessionCookie))) {
            tokens.set(sessionCookie, value);
        }
    }

    @Override
    public Optional<Issued> find(String sessionCookie) {
        String value = tokens.get(sessionCookie);
        if (value == null) {
            return Optional.empty();
        }
        int tab = value.indexOf('\t');
        return Optional.of(new Issued(value.substring(0, tab), value.substring(tab + 1)));
    }
}
