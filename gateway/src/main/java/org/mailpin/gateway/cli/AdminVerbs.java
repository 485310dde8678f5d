package org.mailpin.gateway.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.mailpin.gateway.config.ConfigException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The administrator's verbs, with the meanings of {@code doveadm director}: each calls the admin
 * API of a running node, which applies the change cluster-wide. Reads print a table, or the API's
 * JSON with {@code --json}. Exit codes are listed in docs/admin-api.md.
 */
final class AdminVerbs {

    /** Every verb, for registration as subcommands of {@code mailpin}. */
    static final List<Class<?>> ALL = List.of(Status.class, MapUsers.class, LookupVerbs.Lookup.class,
            LookupVerbs.Session.class, Add.class, Update.class, Up.class, Down.class, Remove.class, Move.class,
            Kick.class, Flush.class, Cluster.class, Health.class);

    private AdminVerbs() {
    }

    /** Base of every verb: the admin options, error handling and output helpers. */
    abstract static class Verb implements Callable<Integer> {

        @Mixin
        AdminOptions admin;

        final PrintStream out = System.out;

        @Override
        public final Integer call() {
            try {
                return execute(admin.client());
            } catch (AdminException e) {
                System.err.println("mailpin: " + e.getMessage());
                return e.exitCode();
            } catch (ConfigException e) {
                System.err.println("mailpin: config error: " + e.getMessage());
                return MailpinCommand.EXIT_CONFIG;
            } catch (JsonProcessingException | RuntimeException e) {
                System.err.println("mailpin: " + e);
                return MailpinCommand.EXIT_SOFTWARE;
            }
        }

        abstract int execute(AdminClient client) throws JsonProcessingException;

        int printJson(JsonNode node) throws JsonProcessingException {
            out.println(AdminClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
            return 0;
        }

        void printBackend(JsonNode b, String verb) {
            out.println("backend " + b.get("id").asText() + " (" + b.get("address").asText() + ") " + verb + ": "
                    + (b.get("up").asBoolean() ? "up" : "down") + (b.get("healthy").asBoolean() ? "" : ", unhealthy")
                    + ", vhosts " + b.get("vhosts").asInt()
                    + (b.get("tag").asText().isEmpty() ? "" : ", tag " + b.get("tag").asText()));
        }

        static String text(JsonNode node) {
            return node == null || node.isNull() ? "none" : node.asText();
        }

        static String path(String... segments) {
            StringBuilder path = new StringBuilder("api/v1");
            for (String segment : segments) {
                path.append('/').append(AdminClient.encode(segment));
            }
            return path.toString();
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show the backends with their state, vhosts, users and live connections.")
    static final class Status extends Verb {

        @Option(names = "--json", description = "print JSON")
        boolean json;

        @Override
        int execute(AdminClient client) throws JsonProcessingException {
            JsonNode status = client.get("api/v1/status");
            if (json) {
                return printJson(status);
            }
            Table table = new Table("BACKEND", "ADDRESS", "STATE", "VHOSTS", "TAG", "USERS", "CONNECTIONS");
            for (JsonNode b : status.get("backends")) {
                table.row(b.get("id").asText(), b.get("address").asText(), b.get("state").asText(),
                        b.get("vhosts").asInt(), b.get("tag").asText(), b.get("users").asInt(),
                        b.get("connections").asInt());
            }
            table.print(out);
            out.println(status.get("users").asInt() + " user(s) assigned, " + status.get("connections").asInt()
                    + " live mail connection(s) on all nodes");
            return 0;
        }
    }

    @Command(name = "map", mixinStandardHelpOptions = true, description = "List assigned users and their backends.")
    static final class MapUsers extends Verb {

        @Option(names = "--json", description = "print JSON")
        boolean json;

        @Option(names = "--backend", paramLabel = "ID", description = "only users of this backend")
        String backend;

        @Override
        int execute(AdminClient client) throws JsonProcessingException {
            JsonNode map = client.get("api/v1/map" + (backend == null ? "" : "?backend=" + AdminClient.encode(backend)));
            if (json) {
                return printJson(map);
            }
            Table table = new Table("USER", "BACKEND", "REASON", "SINCE", "EXPIRES", "NODE");
            for (JsonNode a : map.get("users")) {
                table.row(a.get("user").asText(), a.get("backend").asText(), a.get("reason").asText(),
                        a.get("since").asText(), a.get("expires").asText(), a.get("node").asText());
            }
            table.print(out);
            return 0;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a backend to the cluster.")
    static final class Add extends Verb {

        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Parameters(index = "1", paramLabel = "ADDRESS")
        String address;

        @Option(names = "--vhosts", defaultValue = "100", description = "ring weight, 0 to 1000 (default ${DEFAULT-VALUE})")
        int vhosts;

        @Option(names = "--tag", defaultValue = "", description = "pool name")
        String tag;

        @Option(names = "--webmail", paramLabel = "ID", description = "id of the Roundcube instance next to it")
        String webmail;

        @Override
        int execute(AdminClient client) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("id", id);
            body.put("address", address);
            body.put("vhosts", vhosts);
            body.put("tag", tag);
            if (webmail != null) {
                body.put("webmail", webmail);
            }
            printBackend(client.post("api/v1/backends", body), "added");
            return 0;
        }
    }

    @Command(name = "update", mixinStandardHelpOptions = true,
            description = "Change a backend's vhosts or tag; assigned users stay where they are.")
    static final class Update extends Verb {

        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--vhosts", description = "new ring weight, 0 to 1000")
        Integer vhosts;

        @Option(names = "--tag", description = "new pool name")
        String tag;

        @Override
        int execute(AdminClient client) {
            Map<String, Object> body = new LinkedHashMap<>();
            if (vhosts != null) {
                body.put("vhosts", vhosts);
            }
            if (tag != null) {
                body.put("tag", tag);
            }
            printBackend(client.patch(path("backends", id), body), "updated");
            return 0;
        }
    }

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Mark a backend up after a manual down; it takes new users again.")
    static final class Up extends Verb {

        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int execute(AdminClient client) {
            printBackend(client.post(path("backends", id, "up"), null), "marked up");
            return 0;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true,
            description = "Mark a backend down: it takes no new users, and its live connections are closed "
                    + "at director.kick-rate. Health checks never mark it up again.")
    static final class Down extends Verb {

        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int execute(AdminClient client) {
            printBackend(client.post(path("backends", id, "down"), null), "marked down");
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Remove a backend; its live connections are closed at director.kick-rate and its users "
                    + "move to the ring's choice at their next login.")
    static final class Remove extends Verb {

        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int execute(AdminClient client) {
            printBackend(client.delete(path("backends", id)).get("removed"), "removed");
            return 0;
        }
    }

    @Command(name = "move", mixinStandardHelpOptions = true,
            description = "Assign a user to a backend and kick the user's connections on the previous one.")
    static final class Move extends Verb {

        @Parameters(index = "0", paramLabel = "USER")
        String user;

        @Parameters(index = "1", paramLabel = "BACKEND")
        String backend;

        @Override
        int execute(AdminClient client) {
            JsonNode moved = client.post(path("users", user, "move"), Map.of("backend", backend));
            out.println(moved.get("user").asText() + ": " + text(moved.get("from")) + " -> "
                    + moved.get("backend").asText() + (moved.get("kicked").asBoolean() ? " (connections kicked)" : ""));
            return 0;
        }
    }

    @Command(name = "kick", mixinStandardHelpOptions = true,
            description = "Close a user's mail connections on every node and end the user's web sessions.")
    static final class Kick extends Verb {

        @Parameters(paramLabel = "USER")
        String user;

        @Override
        int execute(AdminClient client) {
            JsonNode kicked = client.post(path("users", user, "kick"), null);
            out.println(kicked.get("user").asText() + ": kicked on every node");
            return 0;
        }
    }

    @Command(name = "flush", mixinStandardHelpOptions = true,
            description = "Move users whose assignment differs from the ring's choice to that choice, kicking "
                    + "their connections at director.kick-rate, with progress.")
    static final class Flush extends Verb {

        @Parameters(paramLabel = "BACKEND", arity = "0..1", description = "only users of this backend")
        String backend;

        @Override
        int execute(AdminClient client) {
            String request = "api/v1/flush" + (backend == null ? "" : "?backend=" + AdminClient.encode(backend));
            client.postStreaming(request, line -> out.println((line.get("done").asBoolean() ? "done: " : "")
                    + line.get("moved").asInt() + " of " + line.get("total").asInt() + " user(s) moved"
                    + (line.get("skipped").asInt() > 0 ? ", " + line.get("skipped").asInt()
                    + " skipped (changed meanwhile)" : "")));
            return 0;
        }
    }

    @Command(name = "cluster", mixinStandardHelpOptions = true, description = "Cluster commands.",
            subcommands = ClusterStatus.class)
    static final class Cluster implements Callable<Integer> {

        @Override
        public Integer call() {
            System.err.println("mailpin: missing subcommand: try mailpin cluster status");
            return MailpinCommand.EXIT_USAGE;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show the Hazelcast members, the gateway nodes and which node runs the health checks.")
    static final class ClusterStatus extends Verb {

        @Option(names = "--json", description = "print JSON")
        boolean json;

        @Override
        int execute(AdminClient client) throws JsonProcessingException {
            JsonNode cluster = client.get("api/v1/cluster");
            if (json) {
                return printJson(cluster);
            }
            out.println("cluster " + text(cluster.get("name")) + " (" + cluster.get("mode").asText() + " mode), "
                    + "health checks run on " + text(cluster.get("healthChecker")));
            Table members = new Table("MEMBER", "UUID", "LOCAL");
            for (JsonNode m : cluster.get("members")) {
                members.row(m.get("address").asText(), m.get("uuid").asText(), m.get("local").asBoolean() ? "yes" : "");
            }
            members.print(out);
            out.println();
            Table nodes = new Table("NODE", "STARTED", "LAST HEARTBEAT");
            for (JsonNode n : cluster.get("nodes")) {
                nodes.row(n.get("node").asText(), n.get("started").asText(), n.get("updated").asText());
            }
            nodes.print(out);
            return 0;
        }
    }

    @Command(name = "health", mixinStandardHelpOptions = true,
            description = "Show each backend's health: the flag, the current streak of passed or failed rounds, "
                    + "the last check and the last failure.")
    static final class Health extends Verb {

        @Option(names = "--json", description = "print JSON")
        boolean json;

        @Option(names = "--history", description = "also list each backend's recent rounds, oldest first")
        boolean history;

        @Override
        int execute(AdminClient client) throws JsonProcessingException {
            JsonNode health = client.get("api/v1/health");
            if (json) {
                return printJson(health);
            }
            out.println("health checks run on " + text(health.get("checker")));
            Table table = new Table("BACKEND", "STATE", "HEALTHY", "PASSES", "FAILURES", "LAST CHECK", "LAST FAILURE");
            for (JsonNode b : health.get("backends")) {
                table.row(b.get("id").asText(), b.get("state").asText(), b.get("healthy").asBoolean() ? "yes" : "no",
                        b.get("passes").asInt(), b.get("failures").asInt(), optional(b.get("lastCheck")),
                        lastFailure(b));
            }
            table.print(out);
            if (history) {
                printHistory(health);
            }
            return 0;
        }

        private void printHistory(JsonNode health) {
            for (JsonNode b : health.get("backends")) {
                out.println();
                out.println(b.get("id").asText() + ":");
                Table rounds = new Table("TIME", "RESULT", "REASON");
                for (JsonNode round : b.get("history")) {
                    rounds.row(round.get("time").asText(), round.get("passed").asBoolean() ? "pass" : "fail",
                            optional(round.get("reason")));
                }
                rounds.print(out);
            }
        }

        private static String lastFailure(JsonNode b) {
            JsonNode reason = b.get("lastFailure");
            if (reason == null || reason.isNull()) {
                return "";
            }
            return b.get("lastFailureTime").asText() + " " + reason.asText();
        }

        // Table prints an empty cell as "-".
        private static String optional(JsonNode node) {
            return node == null || node.isNull() ? "" : node.asText();
        }
    }
}
