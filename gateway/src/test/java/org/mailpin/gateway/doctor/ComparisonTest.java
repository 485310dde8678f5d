package org.mailpin.gateway.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;

class ComparisonTest {

    private static final String REJECTED = "NO [AUTHENTICATIONFAILED] Authentication failed.";

    @Test
    void agreeingBackendsHaveNoFindings() {
        List<BackendReport> reports = List.of(accepted("be1", 100, 3), accepted("be2", 100, 3));

        assertEquals(List.of(), Comparison.findings(reports));
    }

    @Test
    void rejectingBackendNamedWithReply() {
        List<BackendReport> reports = List.of(accepted("be1", 100, 3), rejected("be2"));

        List<Finding> findings = Comparison.findings(reports);

        assertEquals(1, findings.size(), findings.toString());
        assertEquals("be2", findings.get(0).backend());
        assertEquals(Service.IMAP, findings.get(0).service());
        assertEquals("be2 rejects the imap login that be1 accepted; check be2's passdb and userdb for this user. "
                + "be2 replied: " + REJECTED, findings.get(0).text());
    }

    @Test
    void allRejectingBlamesPassword() {
        List<Finding> findings = Comparison.findings(List.of(rejected("be1"), rejected("be2")));

        assertEquals(1, findings.size(), findings.toString());
        assertEquals(null, findings.get(0).backend());
        assertEquals("every backend rejects the imap login (be1: " + REJECTED + "; be2: " + REJECTED + "): the "
                + "password is wrong, no backend knows the user, or the passdb the backends share fails.",
                findings.get(0).text());
    }

    @Test
    void notTriedServicesAddNoFindings() {
        List<BackendReport> reports = List.of(rejectedThenSkipped("be1"), rejectedThenSkipped("be2"));

        List<Finding> findings = Comparison.findings(reports);

        assertEquals(1, findings.size(), findings.toString());
        assertEquals(Service.IMAP, findings.get(0).service());
    }

    @Test
    void rejectionNextToUnreachableSaysReplied() {
        BackendReport down = report("be2", new ServiceCheck(Service.IMAP, 143, CheckStatus.UNREACHABLE, null, null,
                "connection refused", null));

        List<Finding> findings = Comparison.findings(List.of(rejected("be1"), down));

        assertEquals(2, findings.size(), findings.toString());
        assertEquals("be2", findings.get(0).backend());
        assertEquals(null, findings.get(1).backend());
        assertTrue(findings.get(1).text().startsWith("every backend that replied rejects the imap login (be1: "),
                findings.get(1).text());
    }

    @Test
    void verdictOfRejectionEverywhereNamesNoBackend() {
        List<BackendReport> reports = List.of(rejectedThenSkipped("be1"), rejectedThenSkipped("be2"));
        DoctorReport report = new DoctorReport("user01@example.test", reports.get(0).backend(), null, reports,
                Comparison.findings(reports));

        assertEquals("Every backend rejects the imap login of user01@example.test (1 problem above): the password "
                + "is wrong, the user is unknown, or the passdb the backends share has a problem. No backend differs "
                + "from the others, so logins through Mailpin fail the same way.", report.verdict());
        assertFalse(report.agree());
    }

    @Test
    void verdictOfRejectionNotesDifferentReplies() {
        BackendReport temporary = report("be2", new ServiceCheck(Service.IMAP, 143, CheckStatus.REJECTED,
                "* OK Dovecot ready.", "NO [UNAVAILABLE] Temporary authentication failure.", null, null));
        List<BackendReport> reports = List.of(rejected("be1"), temporary);
        DoctorReport report = new DoctorReport("user01@example.test", null, null, reports, Comparison.findings(reports));

        assertTrue(report.verdict().startsWith("Every backend rejects the imap login of user01@example.test"),
                report.verdict());
        assertTrue(report.verdict().endsWith(" The backends' replies differ, so compare them above: a temporary "
                + "failure points to the passdb rather than the password."), report.verdict());
    }

    @Test
    void verdictOfRejectionAndUnreachableNamesUnreachable() {
        BackendReport down = report("be2", new ServiceCheck(Service.IMAP, 143, CheckStatus.UNREACHABLE, null, null,
                "connection refused", null));
        List<BackendReport> reports = List.of(rejected("be1"), down);
        DoctorReport report = new DoctorReport("user01@example.test", null, null, reports, Comparison.findings(reports));

        assertEquals("be2 differs from the other backends (2 problems above).", report.verdict());
    }

    @Test
    void verdictOfOneBackendRejecting() {
        List<BackendReport> reports = List.of(rejectedThenSkipped("be1"));
        DoctorReport report = new DoctorReport("user01@example.test", null, null, reports, Comparison.findings(reports));

        assertTrue(report.verdict().startsWith("The only backend rejects the imap login of user01@example.test "
                + "(1 problem above)"), report.verdict());
    }

    @Test
    void unreachableBackendNamed() {
        BackendReport down = report("be2", new ServiceCheck(Service.IMAP, 143, CheckStatus.UNREACHABLE, null, null,
                "connection refused", null));

        List<Finding> findings = Comparison.findings(List.of(accepted("be1", 100, 3), down));

        assertEquals(1, findings.size(), findings.toString());
        assertEquals("be2 imap on 127.0.0.2:143: unreachable: connection refused", findings.get(0).text());
    }

    @Test
    void minorityInboxNamed() {
        List<BackendReport> reports = List.of(accepted("be1", 100, 3), accepted("be2", 100, 3), accepted("be3", 555, 0));

        List<Finding> findings = Comparison.findings(reports);

        assertEquals(1, findings.size(), findings.toString());
        assertEquals("be3", findings.get(0).backend());
        assertEquals("be3 shows a different INBOX (UIDVALIDITY 555, 0 messages) from be1, be2 (UIDVALIDITY 100, "
                + "3 messages): it does not use the same mail storage.", findings.get(0).text());
    }

    @Test
    void twoDifferentInboxesNameBoth() {
        List<Finding> findings = Comparison.findings(List.of(accepted("be1", 100, 3), accepted("be2", 555, 0)));

        assertEquals(1, findings.size(), findings.toString());
        assertEquals(null, findings.get(0).backend());
        assertEquals("the backends show different INBOXes (be1: UIDVALIDITY 100, 3 messages; be2: UIDVALIDITY 555, "
                + "0 messages): they do not all use the same mail storage.", findings.get(0).text());
    }

    @Test
    void countDifferenceSuggestsRetry() {
        List<Finding> findings = Comparison.findings(List.of(accepted("be1", 100, 3), accepted("be2", 100, 4)));

        assertEquals(1, findings.size(), findings.toString());
        assertTrue(findings.get(0).text().startsWith("the INBOX message count differs (be1: 3, be2: 4)"),
                findings.get(0).text());
    }

    @Test
    void quotaDifferenceFound() {
        BackendReport withQuota = report("be2", new ServiceCheck(Service.IMAP, 143, CheckStatus.ACCEPTED, "* OK", "OK",
                null, new Mailbox(100L, 3L, List.of(new QuotaUsage("User quota", "STORAGE", 1, 100)), null)));

        List<Finding> findings = Comparison.findings(List.of(accepted("be1", 100, 3), withQuota));

        assertEquals(1, findings.size(), findings.toString());
        assertEquals("the quota differs (be1: no quota; be2: User quota STORAGE 1/100): the backends' quota settings "
                + "or quota data differ.", findings.get(0).text());
    }

    @Test
    void verdictNamesRingChoice() {
        List<BackendReport> reports = List.of(accepted("be1", 100, 3), rejected("be2"));
        DoctorReport report = new DoctorReport("user01@example.test", reports.get(1).backend(), null, reports,
                Comparison.findings(reports));

        assertEquals("be2 differs from the other backends (1 problem above). The ring sends user01@example.test to "
                + "be2, where the imap login failed, so those logins through Mailpin fail for this user.",
                report.verdict());
    }

    @Test
    void verdictNamesSkippedServices() {
        List<BackendReport> reports = List.of(acceptedEverywhere("be1"), rejectedThenSkipped("be2"));
        DoctorReport report = new DoctorReport("user01@example.test", reports.get(1).backend(), null, reports,
                Comparison.findings(reports));

        assertEquals("be2 differs from the other backends (1 problem above). The ring sends user01@example.test to "
                + "be2, where the imap login failed (pop3 and sieve were not tried after the rejection), so those "
                + "logins through Mailpin fail for this user.", report.verdict());
    }

    @Test
    void verdictOfAgreement() {
        List<BackendReport> reports = List.of(accepted("be1", 100, 3), accepted("be2", 100, 3));
        DoctorReport report = new DoctorReport("user01@example.test", reports.get(0).backend(), null, reports, List.of());

        assertEquals("All 2 backends accept the login and show the same INBOX (UIDVALIDITY 100, 3 messages, no quota).",
                report.verdict());
    }

    static BackendReport accepted(String id, long uidValidity, long messages) {
        return report(id, new ServiceCheck(Service.IMAP, 143, CheckStatus.ACCEPTED, "* OK Dovecot ready.",
                "OK Logged in", null, new Mailbox(uidValidity, messages, null, null)));
    }

    static BackendReport rejected(String id) {
        return report(id, new ServiceCheck(Service.IMAP, 143, CheckStatus.REJECTED, "* OK Dovecot ready.", REJECTED,
                null, null));
    }

    static BackendReport rejectedThenSkipped(String id) {
        return report(id,
                new ServiceCheck(Service.IMAP, 143, CheckStatus.REJECTED, "* OK Dovecot ready.", REJECTED, null, null),
                ServiceCheck.notTried(Service.POP3, 110, Service.IMAP),
                ServiceCheck.notTried(Service.SIEVE, 4190, Service.IMAP));
    }

    static BackendReport acceptedEverywhere(String id) {
        return report(id,
                new ServiceCheck(Service.IMAP, 143, CheckStatus.ACCEPTED, "* OK Dovecot ready.", "OK Logged in", null,
                        new Mailbox(100L, 3L, null, null)),
                new ServiceCheck(Service.POP3, 110, CheckStatus.ACCEPTED, "+OK Dovecot ready.", "+OK Logged in.", null,
                        null),
                new ServiceCheck(Service.SIEVE, 4190, CheckStatus.ACCEPTED, "OK \"Dovecot ready.\"",
                        "OK \"Logged in.\"", null, null));
    }

    static BackendReport report(String id, ServiceCheck... checks) {
        String address = "127.0.0." + id.substring(2);
        Backend backend = new Backend(id, address, 100, "", new BackendPorts(143, 0, 0, 0, 0), null, true);
        return new BackendReport(backend, new ArrayList<>(List.of(checks)));
    }
}
