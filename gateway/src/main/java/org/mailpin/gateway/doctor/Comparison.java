package org.mailpin.gateway.doctor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Compares the backends' replies for one user. Backends behind one director must behave as one
 * server: the same logins succeed everywhere and every backend shows the same INBOX, because
 * they all read one shared mail storage.
 */
public final class Comparison {

    private Comparison() {
    }

    public static List<Finding> findings(List<BackendReport> reports) {
        List<Finding> findings = new ArrayList<>();
        for (Service service : Service.values()) {
            Map<BackendReport, ServiceCheck> checks = new LinkedHashMap<>();
            for (BackendReport report : reports) {
                report.check(service).ifPresent(check -> checks.put(report, check));
            }
            compareLogins(service, checks, findings);
        }
        compareMailboxes(reports, findings);
        return List.copyOf(findings);
    }

    private static void compareLogins(Service service, Map<BackendReport, ServiceCheck> checks, List<Finding> findings) {
        List<String> accepted = new ArrayList<>();
        Map<String, ServiceCheck> rejected = new LinkedHashMap<>();
        int tried = 0;
        for (Map.Entry<BackendReport, ServiceCheck> entry : checks.entrySet()) {
            String id = entry.getKey().backend().id();
            ServiceCheck check = entry.getValue();
            if (check.status() == CheckStatus.NOT_TRIED) {
                // The backend's earlier rejected login is the finding.
                continue;
            }
            tried++;
            switch (check.status()) {
                case ACCEPTED -> accepted.add(id);
                case REJECTED -> rejected.put(id, check);
                default -> findings.add(new Finding(id, service, describeBroken(entry.getKey(), check)));
            }
        }

        if (!accepted.isEmpty()) {
            for (Map.Entry<String, ServiceCheck> entry : rejected.entrySet()) {
                String id = entry.getKey();
                findings.add(new Finding(id, service, id + " rejects the " + service.label() + " login that "
                        + String.join(", ", accepted) + " accepted; check " + id + "'s passdb and userdb for this "
                        + "user. " + id + " replied: " + entry.getValue().reply()));
            }
        } else if (!rejected.isEmpty()) {
            String replies = rejected.entrySet().stream()
                    .map(e -> e.getKey() + ": " + e.getValue().reply())
                    .collect(Collectors.joining("; "));
            String backends = rejected.size() == tried ? "every backend" : "every backend that replied";
            findings.add(new Finding(null, service, backends + " rejects the " + service.label() + " login ("
                    + replies + "): the password is wrong, no backend knows the user, or the passdb the backends "
                    + "share fails."));
        }
    }

    private static String describeBroken(BackendReport report, ServiceCheck check) {
        String text = report.backend().id() + " " + check.service().label() + " on " + report.backend().address() + ":"
                + check.port() + ": " + check.status().label() + ": " + check.problem();
        return check.reply() == null ? text : text + " (the backend replied: " + check.reply() + ")";
    }

    private static void compareMailboxes(List<BackendReport> reports, List<Finding> findings) {
        Map<String, Mailbox> readable = new LinkedHashMap<>();
        for (BackendReport report : reports) {
            ServiceCheck imap = report.check(Service.IMAP).orElse(null);
            if (imap == null || imap.mailbox() == null) {
                continue;
            }
            String id = report.backend().id();
            if (!imap.mailbox().inboxRead()) {
                findings.add(new Finding(id, Service.IMAP, id + " accepts the login but cannot read INBOX: "
                        + imap.mailbox().problem()));
                continue;
            }
            if (imap.mailbox().problem() != null) {
                findings.add(new Finding(id, Service.IMAP, id + ": " + imap.mailbox().problem()));
            }
            readable.put(id, imap.mailbox());
        }
        compareInboxes(readable, findings);
        compareQuotas(readable, findings);
    }

    private static void compareInboxes(Map<String, Mailbox> readable, List<Finding> findings) {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        readable.forEach((id, mailbox) -> groups.computeIfAbsent(inbox(mailbox), k -> new ArrayList<>()).add(id));
        if (groups.size() < 2) {
            return;
        }

        Set<Long> uidValidities = readable.values().stream().map(Mailbox::uidValidity)
                .collect(Collectors.toCollection(LinkedHashSet::new));
        if (uidValidities.size() == 1) {
            String counts = readable.entrySet().stream()
                    .map(e -> e.getKey() + ": " + e.getValue().messages())
                    .collect(Collectors.joining(", "));
            findings.add(new Finding(null, Service.IMAP, "the INBOX message count differs (" + counts
                    + ") with the same UIDVALIDITY: a message may have arrived or been expunged between the "
                    + "logins. Run doctor again; if the counts still differ, the backends cache the shared "
                    + "mail storage differently."));
            return;
        }

        Map.Entry<String, List<String>> majority = groups.entrySet().stream()
                .filter(e -> e.getValue().size() * 2 > readable.size())
                .findFirst().orElse(null);
        if (majority == null) {
            String all = groups.entrySet().stream()
                    .map(e -> String.join(", ", e.getValue()) + ": " + e.getKey())
                    .collect(Collectors.joining("; "));
            findings.add(new Finding(null, Service.IMAP, "the backends show different INBOXes (" + all
                    + "): they do not all use the same mail storage."));
            return;
        }
        for (Map.Entry<String, List<String>> group : groups.entrySet()) {
            if (group == majority) {
                continue;
            }
            for (String id : group.getValue()) {
                findings.add(new Finding(id, Service.IMAP, id + " shows a different INBOX (" + group.getKey()
                        + ") from " + String.join(", ", majority.getValue()) + " (" + majority.getKey()
                        + "): it does not use the same mail storage."));
            }
        }
    }

    private static void compareQuotas(Map<String, Mailbox> readable, List<Finding> findings) {
        Set<String> quotas = readable.values().stream().map(Mailbox::quotaText)
                .collect(Collectors.toCollection(LinkedHashSet::new));
        if (quotas.size() < 2) {
            return;
        }
        String all = readable.entrySet().stream()
                .map(e -> e.getKey() + ": " + e.getValue().quotaText())
                .collect(Collectors.joining("; "));
        findings.add(new Finding(null, Service.IMAP, "the quota differs (" + all
                + "): the backends' quota settings or quota data differ."));
    }

    static String inbox(Mailbox mailbox) {
        return "UIDVALIDITY " + mailbox.uidValidity() + ", " + mailbox.messages()
                + (mailbox.messages() == 1 ? " message" : " messages");
    }
}
