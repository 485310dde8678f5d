package org.mailpin.director;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Name resolver for the test JVM, installed through {@code META-INF/services}: it rejects and
 * records every name lookup except {@code localhost} and this machine's own host name, so no test
 * sends a DNS query and a test can assert that code under test did not try one.
 */
public final class RecordingResolverProvider extends InetAddressResolverProvider {

    private static final List<String> LOOKUPS = new ArrayList<>();

    /** Returns the names looked up (and rejected) since the last {@link #clearLookups()}. */
    public static List<String> lookups() {
        synchronized (LOOKUPS) {
            return List.copyOf(LOOKUPS);
        }
    }

    public static void clearLookups() {
        synchronized (LOOKUPS) {
            LOOKUPS.clear();
        }
    }

    @Override
    public InetAddressResolver get(Configuration configuration) {
        InetAddressResolver builtin = configuration.builtinResolver();
        Set<String> localNames = Set.of("localhost", configuration.lookupLocalHostName());
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
                if (localNames.contains(host)) {
                    return builtin.lookupByName(host, policy);
                }
                synchronized (LOOKUPS) {
                    LOOKUPS.add(host);
                }
                throw new UnknownHostException(host + ": name lookups are disabled in tests");
            }

            @Override
            public String lookupByAddress(byte[] address) throws UnknownHostException {
                throw new UnknownHostException("reverse lookups are disabled in tests");
            }
        };
    }

    @Override
    public String name() {
        return "mailpin-test-recording-resolver";
    }
}
