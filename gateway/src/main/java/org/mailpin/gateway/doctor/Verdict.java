package org.mailpin.gateway.doctor;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** Sums up a report in a few sentences, naming the backends that differ and what that means for the user. */
final class Verdict {

    private Verdict() {
    }

    static String of(DoctorReport report) {
        if (report.agree()) {
            return agreement(report);
        }
        if (rejectedEverywhere(report)) {
            return rejection(report);
        }

        Set<String> named = new LinkedHashSet<>();
        report.findings().stream().map(Finding::backend).filter(Objects::nonNull).forEach(named::add);
        StringBuilder text = new StringBuilder();
        if (named.isEmpty()) {
            text.append("The backends disagree");
        } else {
            text.append(String.join(", ", named)).append(named.size() == 1 ? " differs" : " differ")
                    .append(" from the other backends");
        }
        text.append(" (").append(problems(report)).append(" above).");

        if (report.ringChoice() != null) {
            failedLogins(report, report.ringChoice().id()).ifPresent(failed -> text.append(" The ring sends ")
                    .append(report.user()).append(" to ").append(report.ringChoice().id()).append(", where the ")
                    .append(failed).append(", so those logins through Mailpin fail for this user."));
        }
        Assignment assignment = report.assignment();
        if (assignment != null && assignment.assigned() && assignment.backend() != null
                && (report.ringChoice() == null || !assignment.backend().equals(report.ringChoice().id()))) {
            failedLogins(report, assignment.backend()).ifPresent(failed -> text.append(" The user is assigned to ")
                    .append(assignment.backend()).append(" now, where the ").append(failed).append("."));
        }
        return text.toString();
    }

    /**
     * Returns whether every backend rejected a login and none accepted or failed one. The backends
     * then agree, so the cause is common to all of them.
     */
    static boolean rejectedEverywhere(DoctorReport report) {
        if (report.backends().isEmpty()) {
            return false;
        }
        for (BackendReport backend : report.backends()) {
            boolean rejected = false;
            for (ServiceCheck check : backend.checks()) {
                switch (check.status()) {
                    case REJECTED -> rejected = true;
                    case NOT_TRIED -> {
                        // Follows a rejected login on this backend.
                    }
                    default -> {
                        return false;
                    }
                }
            }
            if (!rejected) {
                return false;
            }
        }
        return true;
    }

    private static String rejection(DoctorReport report) {
        List<ServiceCheck> rejections = report.backends().stream()
                .flatMap(b -> b.checks().stream())
                .filter(c -> c.status() == CheckStatus.REJECTED)
                .toList();
        List<String> services = rejections.stream().map(c -> c.service().label()).distinct().toList();
        StringBuilder text = new StringBuilder();
        text.append(report.backends().size() == 1 ? "The only backend rejects the " : "Every backend rejects the ")
                .append(joinServices(services)).append(services.size() == 1 ? " login" : " logins")
                .append(" of ").append(report.user()).append(" (").append(problems(report)).append(" above): ")
                .append("the password is wrong, the user is unknown, or the passdb the backends share has a ")
                .append("problem. No backend differs from the others, so logins through Mailpin fail the same way.");
        boolean repliesDiffer = rejections.stream()
                .collect(Collectors.groupingBy(ServiceCheck::service,
                        Collectors.mapping(ServiceCheck::reply, Collectors.toSet())))
                .values().stream().anyMatch(replies -> replies.size() > 1);
        if (repliesDiffer) {
            text.append(" The backends' replies differ, so compare them above: a temporary failure points to "
                    + "the passdb rather than the password.");
        }
        return text.toString();
    }

    private static String problems(DoctorReport report) {
        int count = report.findings().size();
        return count + (count == 1 ? " problem" : " problems");
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

    /**
     * Returns e.g. {@code imap and pop3 logins failed} for the services of a backend that did not
     * accept the login, with {@code (sieve was not tried after the rejection)} for skipped ones.
     */
    private static Optional<String> failedLogins(DoctorReport report, String backendId) {
        List<ServiceCheck> checks = report.backends().stream()
                .filter(b -> b.backend().id().equals(backendId))
                .flatMap(b -> b.checks().stream())
                .toList();
        List<String> failed = checks.stream()
                .filter(c -> c.status() != CheckStatus.ACCEPTED && c.status() != CheckStatus.NOT_TRIED)
                .map(c -> c.service().label())
                .toList();
        if (failed.isEmpty()) {
            return Optional.empty();
        }
        List<String> notTried = checks.stream()
                .filter(c -> c.status() == CheckStatus.NOT_TRIED)
                .map(c -> c.service().label())
                .toList();
        String text = joinServices(failed) + (failed.size() == 1 ? " login failed" : " logins failed");
        if (!notTried.isEmpty()) {
            text += " (" + joinServices(notTried) + (notTried.size() == 1 ? " was" : " were")
                    + " not tried after the rejection)";
        }
        return Optional.of(text);
    }

    /** Joins service labels as {@code imap, pop3 and sieve}. */
    private static String joinServices(List<String> services) {
        if (services.size() == 1) {
            return services.get(0);
        }
        return String.join(", ", services.subList(0, services.size() - 1)) + " and " + services.get(services.size() - 1);
    }
}
