package org.mailpin.gateway.doctor;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** Sums up a report in a few sentences, naming the backends that differ and what that means for the user. */
final class Verdict {

    private Verdict() {
    }

    static String of(DoctorReport report) {
        if (report.agree()) {
            return agreement(report);
        }

        Set<String> named = new LinkedHashSet<>();
        report.findings().stream().map(Finding::backend).filter(Objects::nonNull).forEach(named::add);
        int count = report.findings().size();
        StringBuilder text = new StringBuilder();
        if (named.isEmpty()) {
            text.append("The backends disagree");
        } else {
            text.append(String.join(", ", named)).append(named.size() == 1 ? " differs" : " differ")
                    .append(" from the other backends");
        }
        text.append(" (").append(count).append(count == 1 ? " problem" : " problems").append(" above).");

        if (report.ringChoice() != null) {
            failedLogins(report, report.ringChoice().id()).ifPresent(services -> text.append(" The ring sends ")
                    .append(report.user()).append(" to ").append(report.ringChoice().id()).append(", where the ")
                    .append(services).append(" failed, so those logins through Mailpin fail for this user."));
        }
        Assignment assignment = report.assignment();
        if (assignment != null && assignment.assigned() && assignment.backend() != null
                && (report.ringChoice() == null || !assignment.backend().equals(report.ringChoice().id()))) {
            failedLogins(report, assignment.backend()).ifPresent(services -> text.append(" The user is assigned to ")
                    .append(assignment.backend()).append(" now, where the ").append(services).append(" failed."));
        }
        return text.toString();
    }

    private static String agreement(DoctorReport report) {
        int count = report.backends().size();
        String backends = count == 1 ? "The only backend accepts" : "All " + count + " backends accept";
        List<Mailbox> inboxes = report.backends().stream()
                .map(b -> b.check(Service.IMAP).map(ServiceCheck::mailbox).orElse(null))
                .filter(Objects::nonNull)
                .toList();
        if (inboxes.isEmpty()) {
            return backends + " the login.";
        }
        return backends + " the login and show the same INBOX (" + Comparison.inbox(inboxes.get(0)) + ", "
                + inboxes.get(0).quotaText() + ").";
    }

    /** Returns e.g. {@code imap and pop3 logins} for the services of a backend that did not accept the login. */
    private static Optional<String> failedLogins(DoctorReport report, String backendId) {
        List<String> failed = report.backends().stream()
                .filter(b -> b.backend().id().equals(backendId))
                .flatMap(b -> b.checks().stream())
                .filter(c -> c.status() != CheckStatus.ACCEPTED)
                .map(c -> c.service().label())
                .toList();
        if (failed.isEmpty()) {
            return Optional.empty();
        }
        String services = failed.size() == 1 ? failed.get(0)
                : String.join(", ", failed.subList(0, failed.size() - 1)) + " and " + failed.get(failed.size() - 1);
        return Optional.of(services + (failed.size() == 1 ? " login" : " logins"));
    }
}
