package org.mailpin.director.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;

class DovecotRingTest {

    private static final long MAX_HASH = 0xFFFF_FFFFL;

    private static final Backend BE31 = backend("be31", "127.0.0.31", 100);
    private static final Backend BE32 = backend("be32", "127.0.0.32", 50);
    private static final Backend BE33 = backend("be33", "127.0.0.33", 200);

    @Test
    void lookupHashesUserKey() {
        DovecotRing ring = DovecotRing.of(List.of(BE31, BE32, BE33));

        assertEquals(ring.lookupHash(RingHash.userHash("user01@example.test"), ""), ring.lookup("user01@example.test"));
    }

    @Test
    void pointHashMapsToItsBackend() {
        List<Backend> backends = List.of(BE31, BE32, BE33);
        DovecotRing ring = DovecotRing.of(backends);

        List<String> mismatches = new ArrayList<>();
        for (Point point : sortedPoints(backends)) {
            String found = ring.lookupHash(point.hash(), "").orElseThrow().id();
            if (!found.equals(point.backendId())) {
                mismatches.add(point + " -> " + found);
            }
        }

        assertEquals(List.of(), mismatches);
    }

    @Test
    void hashAbovePointMapsToNextPoint() {
        List<Backend> backends = List.of(BE31, BE32, BE33);
        DovecotRing ring = DovecotRing.of(backends);
        List<Point> points = sortedPoints(backends);

        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i + 1 < points.size(); i++) {
            long hash = points.get(i).hash() + 1;
            String expected = points.get(i + 1).backendId();
            String found = ring.lookupHash(hash, "").orElseThrow().id();
            if (!found.equals(expected)) {
                mismatches.add(hash + " -> " + found + ", expected " + expected);
            }
        }

        assertEquals(List.of(), mismatches);
    }

    @Test
    void hashAboveLastPointWrapsToFirst() {
        List<Backend> backends = List.of(BE31, BE32);
        DovecotRing ring = DovecotRing.of(backends);
        List<Point> points = sortedPoints(backends);
        Point first = points.get(0);
        Point last = points.get(points.size() - 1);

        // Different owners, so that a lookup that stopped at the last point would be caught.
        assertNotEquals(first.backendId(), last.backendId());
        assertTrue(last.hash() < MAX_HASH, "needs room above the last point");
        assertEquals(first.backendId(), ring.lookupHash(last.hash() + 1, "").orElseThrow().id());
        assertEquals(first.backendId(), ring.lookupHash(MAX_HASH, "").orElseThrow().id());
    }

    @Test
    void hashBelowFirstPointMapsToFirst() {
        List<Backend> backends = List.of(BE31, BE32);
        DovecotRing ring = DovecotRing.of(backends);
        Point first = sortedPoints(backends).get(0);

        assertEquals(first.backendId(), ring.lookupHash(1, "").orElseThrow().id());
    }

    // Each row is a real 32-bit collision between point vhosts-1 of both backends, found by
    // hashing points 0-999 of 127.0.0-1.1-254, fd00::1-12b and 2001:db8::1-12b. Dovecot's mail_vhost_cmp orders
    // tied points with net_ip_cmp: family first (AF_INET before AF_INET6), then address bytes.
    // A hash just below the tie therefore maps to the backend that sorts first. In each row,
    // comparing the address text would pick the other backend (rows 1 and 3), and so would
    // comparing bytes without the family (row 2).
    @ParameterizedTest(name = "{0} before {2}")
    @CsvSource({
            "127.0.0.9, 243, 127.0.0.56, 696, 3653346240",
            "127.0.1.88, 249, 2001:db8::c7, 89, 1239673511",
            "fd00::71, 121, fd00::120, 217, 1107888323",
    })
    void tiedPointsOrderedByAddress(String firstIp, int firstVhosts, String secondIp, int secondVhosts,
                                    long tiedHash) {
        Backend first = backend("first", firstIp, firstVhosts);
        Backend second = backend("second", secondIp, secondVhosts);
        Set<Long> hashes = sortedPoints(List.of(first, second)).stream()
                .map(Point::hash)
                .collect(Collectors.toSet());

        assertEquals(tiedHash, RingHash.pointHash(firstIp, firstVhosts - 1));
        assertEquals(tiedHash, RingHash.pointHash(secondIp, secondVhosts - 1));
        assertFalse(hashes.contains(tiedHash - 1), "no other point may sit just below the tie");
        assertEquals(Optional.of(first), DovecotRing.of(List.of(first, second)).lookupHash(tiedHash - 1, ""));
        assertEquals(Optional.of(first), DovecotRing.of(List.of(second, first)).lookupHash(tiedHash - 1, ""));
    }

    @Test
    void zeroVhostsBackendGetsNoUsers() {
        Backend idle = backend("idle", "127.0.0.34", 0);
        DovecotRing ring = DovecotRing.of(List.of(BE31, idle));

        Map<String, Long> counts = countByBackend(ring, users(5000), "");

        assertEquals(100, ring.pointCount(""));
        assertEquals(Map.of("be31", 5000L), counts);
    }

    @Test
    void emptyRingHasNoBackend() {
        assertEquals(Optional.empty(), DovecotRing.of(List.of()).lookup("user01@example.test"));
    }

    @Test
    void allDownRingHasNoBackend() {
        DovecotRing ring = DovecotRing.of(List.of(BE31.withUp(false), BE32.withUp(false)));

        assertEquals(Optional.empty(), ring.lookup("user01@example.test"));
    }

    @Test
    void allZeroVhostsRingHasNoBackend() {
        DovecotRing ring = DovecotRing.of(List.of(BE31.withVhosts(0)));

        assertEquals(Optional.empty(), ring.lookup("user01@example.test"));
    }

    @Test
    void unknownTagHasNoBackend() {
        DovecotRing ring = DovecotRing.of(List.of(BE31, BE32));

        assertEquals(Optional.empty(), ring.lookup("user01@example.test", "no-such-tag"));
    }

    @Test
    void downBackendMovesOnlyItsUsers() {
        DovecotRing before = DovecotRing.of(List.of(BE31, BE32, BE33));
        DovecotRing after = DovecotRing.of(List.of(BE31, BE32, BE33.withUp(false)));

        int onDownBackend = 0;
        List<String> stillOnDownBackend = new ArrayList<>();
        List<String> movedWithoutReason = new ArrayList<>();
        for (String user : users(5000)) {
            String was = before.lookup(user).orElseThrow().id();
            String now = after.lookup(user).orElseThrow().id();
            if (was.equals("be33")) {
                onDownBackend++;
                if (now.equals("be33")) {
                    stillOnDownBackend.add(user);
                }
            } else if (!now.equals(was)) {
                movedWithoutReason.add(user + ": " + was + " -> " + now);
            }
        }

        assertTrue(onDownBackend > 0, "some users must start on the backend that goes down");
        assertEquals(List.of(), stillOnDownBackend);
        assertEquals(List.of(), movedWithoutReason);
    }

    @Test
    void addedBackendTakesUsersOnlyForItself() {
        Backend added = backend("be34", "127.0.0.34", 100);
        DovecotRing before = DovecotRing.of(List.of(BE31, BE32, BE33));
        DovecotRing after = DovecotRing.of(List.of(BE31, BE32, BE33, added));

        int movedToAdded = 0;
        List<String> movedElsewhere = new ArrayList<>();
        for (String user : users(5000)) {
            String was = before.lookup(user).orElseThrow().id();
            String now = after.lookup(user).orElseThrow().id();
            if (now.equals("be34")) {
                movedToAdded++;
            } else if (!now.equals(was)) {
                movedElsewhere.add(user + ": " + was + " -> " + now);
            }
        }

        assertTrue(movedToAdded > 0, "the added backend must take some users");
        assertEquals(List.of(), movedElsewhere);
    }

    @Test
    void tagsHaveSeparateRings() {
        Backend a1 = tagged("a1", "127.0.0.31", 100, "a");
        Backend a2 = tagged("a2", "127.0.0.32", 50, "a");
        Backend b1 = tagged("b1", "127.0.0.33", 200, "b");
        Backend plain = backend("plain", "127.0.0.34", 100);
        DovecotRing ring = DovecotRing.of(List.of(a1, a2, b1, plain));
        DovecotRing onlyTagA = DovecotRing.of(List.of(a1, a2));
        List<String> users = users(2000);

        assertEquals(Set.of("a1", "a2"), countByBackend(ring, users, "a").keySet());
        assertEquals(Set.of("b1"), countByBackend(ring, users, "b").keySet());
        assertEquals(Set.of("plain"), countByBackend(ring, users, "").keySet());
        assertEquals(mapping(onlyTagA, users, "a"), mapping(ring, users, "a"));
        assertEquals(150, ring.pointCount("a"));
    }

    // Two separate checks. (1) Given the ring's exact arcs, each user lands on a backend with
    // probability share, so its count is binomial. Four standard deviations allow about 0.9 % of
    // 50 000 users. (2) With random point positions, a backend's share has a relative standard
    // deviation of about 1/sqrt(vhosts): 10 % for 100 points. That check allows three of those.
    @Test
    void usersSplitByWeight() {
        List<Backend> backends = List.of(BE31, BE32, BE33);
        DovecotRing ring = DovecotRing.of(backends);
        int userCount = 50_000;
        Map<String, Long> counts = countByBackend(ring, users(userCount), "");
        Map<String, Double> shares = exactShares(backends);
        int totalVhosts = backends.stream().mapToInt(Backend::vhosts).sum();

        for (Backend backend : backends) {
            double share = shares.get(backend.id());
            double expectedUsers = share * userCount;
            double sigma = Math.sqrt(userCount * share * (1 - share));
            long observed = counts.getOrDefault(backend.id(), 0L);
            assertEquals(expectedUsers, observed, 4 * sigma,
                    backend.id() + ": users versus the exact share " + share + " of the ring");

            double weightShare = (double) backend.vhosts() / totalVhosts;
            assertEquals(weightShare, share, weightShare * 3 / Math.sqrt(backend.vhosts()),
                    backend.id() + ": ring share versus vhosts share");
        }
    }

    private record Point(long hash, String backendId) {
    }

    // Sorted by hash only, so a caller that needs the order of tied points must not rely on it.
    private static List<Point> sortedPoints(Collection<Backend> backends) {
        List<Point> points = new ArrayList<>();
        for (Backend backend : backends) {
            for (int i = 0; i < backend.vhosts(); i++) {
                points.add(new Point(RingHash.pointHash(backend.address(), i), backend.id()));
            }
        }
        points.sort(Comparator.comparingLong(Point::hash));
        return points;
    }

    // Point i takes the user hashes in (point i-1, point i]. The first point also takes every
    // hash above the last one, so the arcs add up to 2^32.
    private static Map<String, Double> exactShares(Collection<Backend> backends) {
        List<Point> points = sortedPoints(backends);
        Map<String, Double> shares = new HashMap<>();
        long previous = points.get(points.size() - 1).hash() - (1L << 32);
        for (Point point : points) {
            double arc = (point.hash() - previous) / (double) (1L << 32);
            shares.merge(point.backendId(), arc, Double::sum);
            previous = point.hash();
        }
        return shares;
    }

    private static Map<String, Long> countByBackend(DovecotRing ring, List<String> users, String tag) {
        return users.stream()
                .map(user -> ring.lookup(user, tag).orElseThrow().id())
                .collect(Collectors.groupingBy(id -> id, Collectors.counting()));
    }

    private static Map<String, String> mapping(DovecotRing ring, List<String> users, String tag) {
        Map<String, String> mapping = new LinkedHashMap<>();
        users.forEach(user -> mapping.put(user, ring.lookup(user, tag).orElseThrow().id()));
        return mapping;
    }

    private static List<String> users(int count) {
        List<String> users = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            users.add("user" + i + "@example.test");
        }
        return users;
    }

    private static Backend backend(String id, String ip, int vhosts) {
        return tagged(id, ip, vhosts, "");
    }

    private static Backend tagged(String id, String ip, int vhosts, String tag) {
        return new Backend(id, ip, vhosts, tag, BackendPorts.DEFAULTS, null, true);
    }
}
