package org.mailpin.gateway.doctor;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Renders a report as a table for a terminal. */
public final class ReportText {

    private static final List<String> HEADER = List.of("BACKEND", "ADDRESS", "SERVICE", "PORT", "RESULT", "GREETING",
            "REPLY", "INBOX");
    // Dovecot lists its capabilities in the greeting and the LOGIN reply, where they only widen the table.
    private static final Pattern CAPABILITY_CODE = Pattern.compile("\\[CAPABILITY [^]]*] ?");
    private static final int MAX_GREETING = 48;

    private ReportText() {
    }

    public static String render(DoctorReport report) {
        StringBuilder out = new StringBuilder();
        out.append("User ").append(report.user()).append(", logged in directly on each of ")
                .append(report.backends().size()).append(report.backends().size() == 1 ? " backend" : " backends")
                .append(" (not through the gateway)\n");
        out.append("Ring choice (config): ").append(report.ringChoice() == null ? "none: no backend has vhosts above 0"
                : report.ringChoice().id() + " (" + report.ringChoice().address() + ")").append('\n');
        if (report.assignment() != null) {
            out.append("Assignment (admin API): ").append(assignment(report.assignment())).append('\n');
        }
        out.append('\n');

        List<List<String>> rows = new ArrayList<>();
        rows.add(HEADER);
        for (BackendReport backend : report.backends()) {
            for (ServiceCheck check : backend.checks()) {
                rows.add(row(backend, check));
            }
        }
        appendTable(out, rows);

        if (!report.findings().isEmpty()) {
            out.append("\nProblems:\n");
            for (Finding finding : report.findings()) {
                out.append("  - ").append(finding.text()).append('\n');
            }
        }
        out.append("\nVerdict: ").append(report.verdict()).append('\n');
        return out.toString();
    }

    private static String assignment(Assignment assignment) {
        String ring = assignment.ringChoice() == null ? "" : "; the cluster's ring picks " + assignment.ringChoice();
        if (!assignment.assigned()) {
            return "not assigned now" + ring;
        }
        return assignment.backend() + " since " + assignment.since() + ", reason " + assignment.reason() + ring;
    }

    private static List<String> row(BackendReport backend, ServiceCheck check) {
        String reply = check.reply() == null ? "" : oneLine(CAPABILITY_CODE.matcher(check.reply()).replaceAll(""));
        if (check.problem() != null) {
            reply = reply.isEmpty() ? check.problem() : reply + " (" + check.problem() + ")";
        }
        return List.of(backend.backend().id(), backend.backend().address(), check.service().label(),
                Integer.toString(check.port()), check.status().label(), greeting(check.greeting()),
                reply, inbox(check.mailbox()));
    }

    private static String greeting(String greeting) {
        if (greeting == null) {
            return "-";
        }
        String text = oneLine(CAPABILITY_CODE.matcher(greeting).replaceAll(""));
        return text.length() > MAX_GREETING ? text.substring(0, MAX_GREETING - 3) + "..." : text;
    }

    private static String inbox(Mailbox mailbox) {
        if (mailbox == null) {
            return "";
        }
        if (!mailbox.inboxRead()) {
            return mailbox.problem();
        }
        String text = Comparison.inbox(mailbox) + ", " + mailbox.quotaText();
        return mailbox.problem() == null ? text : text + " (" + mailbox.problem() + ")";
    }

    private static String oneLine(String text) {
        return text.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ');
    }

    private static void appendTable(StringBuilder out, List<List<String>> rows) {
        int[] widths = new int[HEADER.size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(i == row.size() - 1 ? row.get(i) : pad(row.get(i), widths[i] + 2));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
    }

    private static String pad(String text, int width) {
        return text + " ".repeat(width - text.length());
    }
}
