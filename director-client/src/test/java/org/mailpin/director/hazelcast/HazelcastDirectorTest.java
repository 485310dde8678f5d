package org.mailpin.director.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mailpin.director.Assignment;
import org.mailpin.director.AssignmentReason;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.director.DirectorSettings;
import org.mailpin.director.FreePorts;
import org.mailpin.director.NoBackendAvailableException;
import org.mailpin.director.UsernameNormalizer;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

/**
 * HazelcastDirector on one real embedded member. Time comes from a {@link MutableClock}, so expiry
 * is tested by advancing it. Tests change a backend by writing it into the shared backend map,
 * then read the change through a director created afterwards, whose constructor builds its ring
 * from the map before it returns.
 */
class HazelcastDirectorTest {

    private static final Duration USER_EXPIRE = Duration.ofMinutes(15);
    private static final Instant START = Instant.parse("2025-01-06T09:00:00Z");

    private static final Backend BE1 = backend("be1", "127.0.0.31", 100);
    private static final Backend BE2 = backend("be2", "127.0.0.32", 50);
    private static final Backend BE3 = backend("be3", "127.0.0.33", 200);

    private static HazelcastInstance member;

    private final List<HazelcastDirector> directors = new ArrayList<>();
    private MutableClock clock;

    @BeforeAll
    static void startMember() {
        ClusterSettings cluster = new ClusterSettings("mailpin-test-" + UUID.randomUUID(), "127.0.0.1",
                FreePorts.find("127.0.0.1"), List.of());
        member = HazelcastMembers.start(cluster, USER_EXPIRE, Duration.ofMinutes(30));
    }

    @AfterAll
    static void stopMember() {
        if (member != null) {
            member.shutdown();
        }
    }

    @BeforeEach
    void resetState() {
        member.getMap(MapNames.ASSIGNMENTS).clear();
        member.getMap(MapNames.BACKENDS).clear();
        clock = new MutableClock(START);
    }

    @AfterEach
    void closeDirectors() {
        directors.forEach(HazelcastDirector::close);
        directors.clear();
    }

    @Test
    void firstAssignCreatesRingAssignment() {
        HazelcastDirector director = startDirector("node-a", List.of(BE1, BE2, BE3));

        Assignment assignment = director.assign("user01@example.test");

        Backend ringChoice = director.ringChoice("user01@example.test").orElseThrow();
        assertEquals(new Assignment("user01@example.test", ringChoice.id(), AssignmentReason.RING, START, START,
                "node-a"), assignment);
        assertEquals(Optional.of(assignment), director.find("user01@example.test"));
    }

    @Test
    void findWithoutAssignmentIsEmpty() {
        HazelcastDirector director = startDirector("node-a", List.of(BE1, BE2, BE3));

        assertEquals(Optional.empty(), director.find("user01@example.test"));
    }

    @Test
    void assignStickyAfterWeightChange() {
        HazelcastDirector nodeA = startDirector("node-a", List.of(BE1, BE2, BE3));
        Map<String, Assignment> before = assignAll(nodeA, users(300));

        writeBackend(BE1.withVhosts(1000));
        HazelcastDirector nodeB = startDirector("node-b", List.of(BE1, BE2, BE3));
        clock.advance(Duration.ofMinutes(5));

        List<String> ringMoved = ringMovedUsers(nodeB, before);
        List<String> notSticky = new ArrayList<>();
        for (String user : ringMoved) {
            Assignment now = nodeB.assign(user);
            if (!now.backendId().equals(before.get(user).backendId()) || !now.since().equals(START)) {
                notSticky.add(user + ": " + before.get(user) + " -> " + now);
            }
        }

        assertTrue(ringMoved.size() > 0, "the weight change must move some users' ring choice");
        assertEquals(List.of(), notSticky);
    }

    @Test
    void expiredAssignmentFollowsRing() {
        HazelcastDirector nodeA = startDirector("node-a", List.of(BE1, BE2, BE3));
        Map<String, Assignment> before = assignAll(nodeA, users(300));
        writeBackend(BE1.withVhosts(1000));
        HazelcastDirector nodeB = startDirector("node-b", List.of(BE1, BE2, BE3));
        List<String> ringMoved = ringMovedUsers(nodeB, before);

        Instant later = clock.advance(USER_EXPIRE.plusMillis(1));
        List<String> notMoved = new ArrayList<>();
        for (String user : ringMoved) {
            Assignment now = nodeB.assign(user);
            Assignment expected = new Assignment(user, nodeB.ringChoice(user).orElseThrow().id(),
                    AssignmentReason.RING, later, later, "node-b");
            if (!now.equals(expected)) {
                notMoved.add(user + ": " + now + ", expected " + expected);
            }
        }

        assertTrue(ringMoved.size() > 0, "the weight change must move some users' ring choice");
        assertEquals(List.of(), notMoved);
    }

    @Test
    void assignmentKeptAtExactUserExpire() {
        HazelcastDirector director = startDirector("node-a", List.of(BE1, BE2, BE3));
        Assignment first = director.assign("user01@example.test");

        clock.advance(USER_EXPIRE);

        assertEquals(START, director.assign("user01@example.test").since());
        assertEquals(first.backendId(), director.find("user01@example.test").orElseThrow().backendId());
    }

    @Test
    void findHidesExpiredAssignment() {
        HazelcastDirector director = startDirector("node-a", List.of(BE1, BE2, BE3));
        director.assign("user01@example.test");

        clock.advance(USER_EXPIRE.plusMillis(1));

        assertEquals(Optional.empty(), director.find("user01@example.test"));
    }

    @Test
    void activityKeepsAssignment() {
        HazelcastDirector nodeA = startDirector("node-a", List.of(BE1, BE2, BE3));
        Map<String, Assignment> before = assignAll(nodeA, users(300));
        writeBackend(BE1.withVhosts(1000));
        HazelcastDirector nodeB = startDirector("node-b", List.of(BE1, BE2, BE3));
        String user = ringMovedUsers(nodeB, before).get(0);

        Instant activity = clock.advance(Duration.ofMinutes(10));
        nodeB.assign(user);
        clock.advance(Duration.ofMinutes(10));
        Assignment assignment = nodeB.assign(user);

        assertEquals(before.get(user).backendId(), assignment.backendId());
        assertEquals(START, assignment.since());
        assertEquals(AssignmentReason.RING, assignment.reason());
        assertEquals(activity.plus(Duration.ofMinutes(10)), nodeB.find(user).orElseThrow().lastActivity());
    }

    @Test
    void activityRecordedInSharedState() {
        HazelcastDirector director = startDirector("node-a", List.of(BE1, BE2, BE3));
        director.assign("user01@example.test");

        Instant activity = clock.advance(Duration.ofMinutes(10));
        director.assign("user01@example.test");

        assertEquals(activity, director.find("user01@example.test").orElseThrow().lastActivity());
    }

    @Test
    void downBackendUserReassigned() {
        HazelcastDirector nodeA = startDirector("node-a", List.of(BE1, BE2, BE3));
        Map<String, Assignment> before = assignAll(nodeA, users(100));
        String user = usersOn(before, "be3").get(0);

        writeBackend(BE3.withUp(false));
        HazelcastDirector nodeB = startDirector("node-b", List.of(BE1, BE2, BE3));
        Instant later = clock.advance(Duration.ofMinutes(1));
        Assignment moved = nodeB.assign(user);

        assertNotEquals("be3", moved.backendId());
        assertEquals(nodeB.ringChoice(user).orElseThrow().id(), moved.backendId());
        assertEquals(AssignmentReason.BACKEND_DOWN, moved.reason());
        assertEquals(later, moved.since());
    }

    @Test
    void removedBackendUserReassigned() {
        HazelcastDirector nodeA = startDirector("node-a", List.of(BE1, BE2, BE3));
        Map<String, Assignment> before = assignAll(nodeA, users(100));
        String user = usersOn(before, "be3").get(0);

        member.<String, String>getMap(MapNames.BACKENDS).delete("be3");
        HazelcastDirector nodeB = startDirector("node-b", List.of(BE1, BE2));
        Assignment moved = nodeB.assign(user);

        assertNotEquals("be3", moved.backendId());
        assertEquals(AssignmentReason.BACKEND_DOWN, moved.reason());
    }

    @Test
    void downBackendLeavesOtherUsers() {
        HazelcastDirector nodeA = startDirector("node-a", List.of(BE1, BE2, BE3));
        Map<String, Assignment> before = assignAll(nodeA, users(100));

        writeBackend(BE3.withUp(false));
        HazelcastDirector nodeB = startDirector("node-b", List.of(BE1, BE2, BE3));
        List<String> changed = new ArrayList<>();
        for (Map.Entry<String, Assignment> entry : before.entrySet()) {
            if (entry.getValue().backendId().equals("be3")) {
                continue;
            }
            Assignment now = nodeB.assign(entry.getKey());
            if (!now.equals(entry.getValue())) {
                changed.add(entry.getValue() + " -> " + now);
            }
        }

        assertEquals(List.of(), changed);
    }

    @Test
    void assignmentListenerGetsNewAndReplaced() {
        HazelcastDirector nodeA = startDirector("node-a", List.of(BE1, BE2, BE3));
        Map<String, Assignment> before = assignAll(nodeA, users(100));
        String user = usersOn(before, "be3").get(0);
        writeBackend(BE3.withUp(false));
        HazelcastDirector nodeB = startDirector("node-b", List.of(BE1, BE2, BE3));
        List<Assignment[]> written = new ArrayList<>();
        nodeB.onNewAssignment((created, previous) -> written.add(new Assignment[] {created, previous}));

        Assignment moved = nodeB.assign(user);
        nodeB.assign(user);
        Assignment fresh = nodeB.assign("new-user@example.test");

        assertEquals(2, written.size());
        assertEquals(moved, written.get(0)[0]);
        assertEquals(before.get(user), written.get(0)[1]);
        assertEquals(fresh, written.get(1)[0]);
        assertNull(written.get(1)[1]);
    }

    @Test
    void assignmentListenerMissesOtherNodesWrites() {
        HazelcastDirector nodeA = startDirector("node-a", List.of(BE1, BE2, BE3));
        HazelcastDirector nodeB = startDirector("node-b", List.of(BE1, BE2, BE3));
        List<Assignment> written = new ArrayList<>();
        nodeB.onNewAssignment((created, previous) -> written.add(created));

        nodeA.assign("user01@example.test");
        nodeB.assign("user01@example.test");

        assertEquals(List.of(), written);
    }

    @Test
    void emptyRingRejectsNewUser() {
        HazelcastDirector director = startDirector("node-a", List.of(BE1.withUp(false), BE2.withVhosts(0)));

        NoBackendAvailableException e = assertThrows(NoBackendAvailableException.class,
                () -> director.assign("user01@example.test"));

        assertEquals("no backend available for user user01@example.test: every backend is down or has vhosts 0",
                e.getMessage());
    }

    @Test
    void clusterBackendStateWinsOverConfig() {
        startDirector("node-a", List.of(BE1, BE2, BE3));
        writeBackend(BE1.withVhosts(1000));

        HazelcastDirector nodeB = startDirector("node-b", List.of(BE1, BE2, BE3));

        assertEquals(1000, nodeB.backend("be1").orElseThrow().vhosts());
    }

    @Test
    void runningDirectorSeesBackendChange() {
        HazelcastDirector director = startDirector("node-a", List.of(BE1, BE2, BE3));

        writeBackend(BE3.withUp(false));

        // The ring is rebuilt by a map listener on Hazelcast's event thread, so poll for it.
        boolean seen = awaitTrue(() -> !director.backend("be3").orElseThrow().up(), Duration.ofSeconds(10));
        assertTrue(seen, "the backend listener did not rebuild the ring within 10 s");
        assertTrue(usersOn(assignAll(director, users(200)), "be3").isEmpty());
    }

    private HazelcastDirector startDirector(String node, List<Backend> backends) {
        DirectorSettings settings = new DirectorSettings(node, USER_EXPIRE, Duration.ofMinutes(30),
                UsernameNormalizer.dovecotDefault(), backends);
        HazelcastDirector director = new HazelcastDirector(member, settings, clock);
        directors.add(director);
        return director;
    }

    private static void writeBackend(Backend backend) {
        IMap<String, String> backends = member.getMap(MapNames.BACKENDS);
        backends.set(backend.id(), Codec.encode(backend));
    }

    private static Map<String, Assignment> assignAll(HazelcastDirector director, List<String> users) {
        Map<String, Assignment> assignments = new LinkedHashMap<>();
        users.forEach(user -> assignments.put(user, director.assign(user)));
        return assignments;
    }

    private static List<String> ringMovedUsers(HazelcastDirector director, Map<String, Assignment> assignments) {
        return assignments.keySet().stream()
                .filter(user -> !director.ringChoice(user).orElseThrow().id()
                        .equals(assignments.get(user).backendId()))
                .toList();
    }

    private static List<String> usersOn(Map<String, Assignment> assignments, String backendId) {
        return assignments.values().stream()
                .filter(assignment -> assignment.backendId().equals(backendId))
                .map(Assignment::user)
                .toList();
    }

    private static List<String> users(int count) {
        List<String> users = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            users.add("user" + i + "@example.test");
        }
        return users;
    }

    private static boolean awaitTrue(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        return true;
    }

    private static Backend backend(String id, String ip, int vhosts) {
        return new Backend(id, ip, vhosts, "", BackendPorts.DEFAULTS, null, true);
    }
}
