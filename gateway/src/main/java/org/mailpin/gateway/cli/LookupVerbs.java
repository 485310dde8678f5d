package org.mailpin.gateway.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The session debugging verbs: where a user is and why, with the user's live mail connections
 * on every node and live web sessions, looked up by username or by web session.
 */
final class LookupVerbs {

    private LookupVerbs() {
    }

    @Command(name = "lookup", mixinStandardHelpOptions = true,
            description = "Show a user's backend, the ring's choice, the initial config's choice and why, "
                    + "with the user's live mail connections on every node and live web sessions.")
    static final class Lookup extends AdminVerbs.Verb {

        @Option(names = "--json", description = "print JSON")
        boolean json;

        @Parameters(paramLabel = "USER")
        String user;

        @Override
        int execute(AdminClient client) throws JsonProcessingException {
            JsonNode answer = client.get(path("users", user));
            if (json) {
                return printJson(answer);
            }
            printUser(out, answer);
            return 0;
        }
    }

    @Command(name = "session", mixinStandardHelpOptions = true,
            description = "Show one web session, given its id or the value of the browser's mailpin_pin cookie, "
                    + "and its user as lookup shows it.")
    static final class Session extends AdminVerbs.Verb {

        @Option(names = "--json", description = "print JSON")
        boolean json;

        @Parameters(paramLabel = "ID", description = "web session id, or the mailpin_pin cookie value")
        String id;

        @Override
        int execute(AdminClient client) throws JsonProcessingException {
            JsonNode answer = client.get(path("web-sessions", id));
            if (json) {
                return printJson(answer);
            }
            JsonNode session = answer.get("session");
            Map<String, String> lines = new LinkedHashMap<>();
            lines.put("session", answer.get("id").asText());
            lines.put("created", session.get("created").asText());
            lines.put("last request", session.get("lastRequest").asText());
            lines.put("client IP", session.get("clientIp").asText());
            lines.put("login node", session.get("node").asText());
            JsonNode pin = answer.get("pin");
            if (pin != null && !pin.isNull()) {
                lines.put("pin cookie", "valid signature, issued " + pin.get("issued").asText() + ", "
                        + (pin.get("expired").asBoolean() ? "expired " : "expires ") + pin.get("expires").asText()
                        + (pin.get("matchesSession").asBoolean() ? ""
                        : ", but names user " + pin.get("user").asText() + ", so the gateway ignores it"));
            }
            printLines(out, lines);
            out.println();
            printUser(out, answer.get("lookup"));
            return 0;
        }
    }

    /** Prints the debugging view of a user, as GET /api/v1/users/{user} returns it. */
    static void printUser(PrintStream out, JsonNode answer) {
        boolean assigned = answer.get("assigned").asBoolean();
        Map<String, String> lines = new LinkedHashMap<>();
        lines.put("user", answer.get("user").asText());
        lines.put("current", assigned ? answer.get("backend").asText() + " (" + AdminVerbs.Verb.text(answer.get("address"))
                + ")" : "not assigned");
        lines.put("ring choice", AdminVerbs.Verb.text(answer.get("ringChoice")));
        lines.put("initial config", AdminVerbs.Verb.text(answer.get("initialConfig")));
        lines.put("why", answer.get("why").asText());
        if (assigned) {
            lines.put("expires", answer.get("expires").asText());
        }
        lines.put("web sessions", Integer.toString(answer.get("webSessions").size()));
        lines.put("connections", connectionSummary(answer));
        printLines(out, lines);

        if (!answer.get("connections").isEmpty()) {
            out.println();
            Table connections = new Table("CONNECTION", "NODE", "PROTOCOL", "BACKEND", "CLIENT IP", "SINCE");
            for (JsonNode c : answer.get("connections")) {
                connections.row(c.get("id").asText(), c.get("node").asText(), c.get("protocol").asText(),
                        c.get("backend").asText(), c.get("clientIp").asText(), c.get("since").asText());
            }
            connections.print(out);
        }
        if (!answer.get("webSessions").isEmpty()) {
            out.println();
            Table sessions = new Table("WEB SESSION", "CREATED", "LAST REQUEST", "CLIENT IP", "NODE");
            for (JsonNode s : answer.get("webSessions")) {
                sessions.row(s.get("id").asText(), s.get("created").asText(), s.get("lastRequest").asText(),
                        s.get("clientIp").asText(), s.get("node").asText());
            }
            sessions.print(out);
        }
    }

    private static String connectionSummary(JsonNode answer) {
        int queried = answer.get("nodesQueried").size();
        JsonNode missing = answer.get("nodesMissing");
        String summary = answer.get("connections").size() + " live mail connection(s), " + (queried - missing.size())
                + " of " + queried + " node(s) replied";
        if (missing.isEmpty()) {
            return summary;
        }
        StringBuilder names = new StringBuilder();
        for (JsonNode node : missing) {
            names.append(names.isEmpty() ? "" : ", ").append(node.asText());
        }
        return summary + "; no reply from " + names + ", so their connections are not listed";
    }

    private static void printLines(PrintStream out, Map<String, String> lines) {
        lines.forEach((key, value) -> out.printf("%-15s %s%n", key + ":", value));
    }
}
