package org.mailpin.gateway.mail.sieve;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The Sieve language capabilities of the backends ({@code SIEVE}, {@code NOTIFY},
 * {@code MAXREDIRECTS}), which the proxy's own greeting repeats because RFC 5804 requires them
 * before login. They are copied from the last backend greeting the proxy read, so they are empty
 * until the first login on this node. Clients such as Roundcube's managesieve plugin send
 * CAPABILITY again after login and then get the backend's own list.
 */
final class SieveCapabilities {

    private static final Set<String> COPIED = Set.of("SIEVE", "NOTIFY", "MAXREDIRECTS");

    private volatile List<String> lines = List.of();

    /** Returns the capability lines to send, each already quoted. */
    List<String> lines() {
        return lines;
    }

    /** Keeps the language capabilities from a backend's capability lines. */
    void update(List<SieveReader.Line> capabilities) {
        List<String> copied = new ArrayList<>();
        for (SieveReader.Line line : capabilities) {
            List<SieveReader.Word> words = line.words();
            if (words.size() == 2 && COPIED.contains(words.get(0).text().toUpperCase(Locale.ROOT))) {
                copied.add(SieveStrings.quote(words.get(0).text()) + " " + SieveStrings.quote(words.get(1).text()));
            }
        }
        lines = List.copyOf(copied);
    }
}
