package org.mailpin.director.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

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
import org.mailpin.director.UnknownBackendException;
import org.mailpin.director.UsernameNormalizer;

import com.hazelcast.core.HazelcastInstance;

/** The administrative operations of HazelcastDirector on one real embedded member. */
class HazelcastDirectorAdminTest {

    private static final Duration USER_EXPIRE = Duration.ofMinutes(15);
    private static final Backend BE1 = backend("be1", "127.0.0.31", 100);
    private static final Backend BE2 = backend("be2", "127.0.0.32", 100);

    private static HazelcastInstance member;

    private HazelcastDirector director;
    private MutableClock clock;
    private final List<String> kicks = new CopyOnWriteArrayList<>();

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
    void startDirector() {
        member.getMap(MapNames.ASSIGNMENTS).clear();
        member.getMap(MapNames.BACKENDS).clear();
        clock = new MutableClock(Instant.parse("2025-01-06T09:00:00Z"));
        director = new HazelcastDirector(member, new DirectorSettings("node-a", USER_EXPIRE, Duration.ofMinutes(30),
                UsernameNormalizer.dovecotDefault(), List.of(BE1, BE2)), clock);
        director.onKick((user, backendId) -> kicks.add(user + "@" + backendId));
    }

    @AfterEach
    void closeDirector() {
        director.close();
    }

    @Test
    void moveOverridesRingAndKicksPreviousBackend() {
        Assignment first = director.assign("alice");
        String other = first.backendId().equals("be1") ? "be2" : "be1";

        Assignment moved = director.move("alice", other);

        assertEquals(other, moved.backendId());
        assertEquals(AssignmentReason.MOVED_BY_ADMIN, moved.reason());
        assertEquals(other, director.assign("alice").backendId());
        awaitKick("alice@" + first.backendId());
    }

    @Test
    void changesAreRecordedAsClusterEvents() {
        director.move("ivan", "be1");
        director.updateBackend("be2", b -> b.withVhosts(5));
        director.kick("ivan", null);

        List<String> recent = director.recentEvents(3).stream()
                .map(e -> e.type() + " " + e.subject() + ": " + e.detail() + " @" + e.node()).toList();

        assertEquals(List.of("kick ivan: connections on every backend @node-a",
                "backend be2: up, vhosts 100 -> up, vhosts 5 @node-a",
                "move ivan: unassigned -> be1 @node-a"), recent);
    }

    @Test
    void moveOfUnassignedUserKicksNothing() throws InterruptedException {
        director.move("bob", "be2");

        assertEquals("be2", director.find("bob").orElseThrow().backendId());
        Thread.sleep(200);
        assertEquals(List.of(), kicks);
    }

    @Test
    void moveToUnknownOrDownBackendRejected() {
        director.updateBackend("be2", b -> b.withUp(false));

        UnknownBackendException unknown = assertThrows(UnknownBackendException.class, () -> director.move("bob", "be9"));
        assertTrue(unknown.getMessage().contains("be9"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("be1, be2"), unknown.getMessage());
        IllegalStateException down = assertThrows(IllegalStateException.class, () -> director.move("bob", "be2"));
        assertTrue(down.getMessage().contains("be2 is marked down by an administrator; run 'mailpin up be2' first"),
                down.getMessage());
        assertTrue(director.find("bob").isEmpty());
    }

    @Test
    void manualDownAndUnhealthyAreSeparate() {
        director.updateBackend("be1", b -> b.withUp(false));
        Backend healthyAgain = director.updateBackend("be1", b -> b.withHealthy(true));

        assertFalse(healthyAgain.up());
        assertFalse(director.backend("be1").orElseThrow().usable());
        director.updateBackend("be1", b -> b.withUp(true).withHealthy(false));
        assertFalse(director.backend("be1").orElseThrow().usable());
        assertEquals("be2", director.assign("carol").backendId());
    }

    @Test
    void updateChangesVhostsWithoutMovingAssignedUsers() {
        List<Assignment> before = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            before.add(director.assign("user" + i));
        }

        director.updateBackend("be1", b -> b.withVhosts(0));

        for (Assignment assignment : before) {
            assertEquals(assignment.backendId(), director.assign(assignment.user()).backendId());
        }
        assertEquals("be2", director.assign("newcomer").backendId());
    }

    @Test
    void updateCannotChangeAddress() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> director.updateBackend("be1",
                b -> new Backend(b.id(), "127.0.0.99", b.vhosts(), b.tag(), b.ports(), b.webmail(), b.up())));

        assertTrue(e.getMessage().contains("remove the backend and add a new one"), e.getMessage());
    }

    @Test
    void addRejectsTakenIdOrAddress() {
        Backend sameAddress = backend("be3", BE1.address(), 100);
        Backend sameId = backend("be1", "127.0.0.39", 100);

        IllegalArgumentException address = assertThrows(IllegalArgumentException.class,
                () -> director.addBackend(sameAddress));
        IllegalArgumentException id = assertThrows(IllegalArgumentException.class, () -> director.addBackend(sameId));

        assertTrue(address.getMessage().contains("already belongs to backend be1"), address.getMessage());
        assertTrue(id.getMessage().contains("already exists"), id.getMessage());
        assertEquals(List.of("be1", "be2"), director.backends().stream().map(Backend::id).toList());
    }

    @Test
    void addedBackendTakesNewUsersAtOnce() {
        director.addBackend(backend("be3", "127.0.0.33", 1000));

        assertTrue(director.backend("be3").isPresent());
        long onBe3 = java.util.stream.IntStream.range(0, 100)
                .mapToObj(i -> director.assign("fresh" + i).backendId())
                .filter("be3"::equals).count();
        assertTrue(onBe3 > 50, "be3 has 10x the vhosts of the others but took " + onBe3 + " of 100 users");
    }

    @Test
    void removedBackendUsersGetRingChoiceOfRest() {
        director.move("dave", "be1");

        Backend removed = director.removeBackend("be1");

        assertEquals("be1", removed.id());
        assertEquals("be2", director.assign("dave").backendId());
        assertEquals(AssignmentReason.BACKEND_DOWN, director.assign("dave").reason());
        assertThrows(UnknownBackendException.class, () -> director.removeBackend("be1"));
    }

    @Test
    void removingLastBackendLeavesNoRing() {
        director.removeBackend("be1");
        director.removeBackend("be2");

        assertThrows(NoBackendAvailableException.class, () -> director.assign("erin"));
    }

    @Test
    void flushMovesOnlyUsersOffTheirRingChoice() {
        String onRing = "frank";
        String ringBackend = director.assign(onRing).backendId();
        String other = ringBackend.equals("be1") ? "be2" : "be1";
        director.move("grace", director.ringChoice("grace").orElseThrow().id().equals("be1") ? "be2" : "be1");
        Assignment movedAway = director.find("grace").orElseThrow();

        Optional<Assignment> unchanged = director.flush(director.find(onRing).orElseThrow());
        Optional<Assignment> flushed = director.flush(movedAway);

        assertTrue(unchanged.isEmpty());
        assertEquals(director.ringChoice("grace").orElseThrow().id(), flushed.orElseThrow().backendId());
        assertEquals(AssignmentReason.RING, director.find("grace").orElseThrow().reason());
        awaitKick("grace@" + movedAway.backendId());
        assertFalse(kicks.contains(onRing + "@" + other));
    }

    @Test
    void flushOfChangedAssignmentLosesToNewerValue() {
        director.move("heidi", director.ringChoice("heidi").orElseThrow().id().equals("be1") ? "be2" : "be1");
        Assignment stale = director.find("heidi").orElseThrow();
        clock.advance(Duration.ofMinutes(1));
        director.move("heidi", stale.backendId());

        assertTrue(director.flush(stale).isEmpty());
        assertEquals(AssignmentReason.MOVED_BY_ADMIN, director.find("heidi").orElseThrow().reason());
    }

    @Test
    void assignmentsListsUnexpiredSortedByUser() {
        director.assign("zoe");
        director.assign("adam");
        clock.advance(USER_EXPIRE.plusSeconds(1));
        director.assign("mia");

        assertEquals(List.of("mia"), director.assignments().stream().map(Assignment::user).toList());
        director.assign("adam");
        assertEquals(List.of("adam", "mia"), director.assignments().stream().map(Assignment::user).toList());
    }

    private void awaitKick(String expected) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!kicks.contains(expected)) {
            assertTrue(System.nanoTime() < deadline, "no kick " + expected + " within 10 s; got " + kicks);
            Thread.onSpinWait();
        }
    }

    private static Backend backend(String id, String ip, int vhosts) {
        return new Backend(id, ip, vhosts, "", BackendPorts.DEFAULTS, null, true);
    }
}
