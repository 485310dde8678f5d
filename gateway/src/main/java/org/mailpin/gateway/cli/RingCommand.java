package org.mailpin.gateway.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.director.UsernameNormalizer;
import org.mailpin.director.ring.DovecotRing;

import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Prints the backend each user maps to on a ring built from the command line, without a running
 * server: what-if planning before adding or reweighting a backend.
 */
@Command(name = "ring", mixinStandardHelpOptions = true,
        description = "Print the backend each USER maps to on the ring of the given backends (Dovecot 2.3 director compatible).")
final class RingCommand implements Callable<Integer> {

    @Option(names = "--backends", required = true, split = ",", paramLabel = "IP[:VHOSTS]",
            description = "Backends as IP or IP:VHOSTS (default vhosts 100), comma-separated, e.g. 10.0.0.1,10.0.0.2:50")
    List<String> backends;

    @Option(names = "--default-domain", paramLabel = "DOMAIN", description = "Domain appended to usernames without @")
    String defaultDomain;

    @Option(names = "--hash-format", defaultValue = UsernameNormalizer.DEFAULT_HASH_FORMAT, paramLabel = "FORMAT",
            description = "Ring key like Dovecot's director_username_hash (default: ${DEFAULT-VALUE})")
    String hashFormat;

    @Option(names = "--json", description = "Print [{\"user\": ..., \"backend\": IP}] instead of a table")
    boolean json;

    @Parameters(arity = "1..*", paramLabel = "USER", description = "Usernames to look up")
    List<String> users;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        UsernameNormalizer normalizer;
        List<Backend> ring = new ArrayList<>();
        try {
            normalizer = new UsernameNormalizer(true, defaultDomain, hashFormat);
            for (String spec : backends) {
                ring.add(parseBackend(spec));
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        DovecotRing dovecotRing = DovecotRing.of(ring);

        List<Map<String, String>> rows = new ArrayList<>();
        for (String raw : users) {
            String user;
            try {
                user = normalizer.normalize(raw);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            Map<String, String> row = new LinkedHashMap<>();
            row.put("user", user);
            row.put("backend", dovecotRing.lookup(normalizer.ringKey(user)).map(Backend::address).orElse(null));
            rows.add(row);
        }

        if (json) {
            System.out.println(new ObjectMapper().writeValueAsString(rows));
        } else {
            int width = rows.stream().mapToInt(r -> r.get("user").length()).max().orElse(4);
            System.out.printf("%-" + width + "s  %s%n", "USER", "BACKEND");
            for (Map<String, String> row : rows) {
                System.out.printf("%-" + width + "s  %s%n", row.get("user"),
                        row.get("backend") == null ? "(none: no backend with vhosts > 0)" : row.get("backend"));
            }
        }
        return 0;
    }

    private static Backend parseBackend(String text) {
        String address = text.strip();
        int vhosts = 100;
        int colon = address.lastIndexOf(':');
        // IPv6 has colons of its own: a vhost count follows only "]:" or an IPv4 address.
        if (colon > 0 && (address.indexOf(':') == colon || address.charAt(colon - 1) == ']')) {
            String count = address.substring(colon + 1);
            address = address.substring(0, colon);
            try {
                vhosts = Integer.parseInt(count);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid vhosts '" + count + "' in --backends " + text
                        + ": expected a whole number from 0 to " + Backend.MAX_VHOSTS);
            }
        }
        return new Backend(address, address, vhosts, "", BackendPorts.DEFAULTS, null, true);
    }
}
