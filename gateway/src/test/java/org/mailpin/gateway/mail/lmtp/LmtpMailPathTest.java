package org.mailpin.gateway.mail.lmtp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Tests the address the director routes a recipient by. */
class LmtpMailPathTest {

    @ParameterizedTest(name = "{0} with ''{1}''")
    @CsvSource(delimiter = '|', value = {
            "<user01@example.test>           | +  | user01@example.test",
            "<user01+news@example.test>      | +  | user01@example.test",
            "<user01+a+b@example.test>       | +  | user01@example.test",
            "<User01+News@Example.TEST>      | +  | User01@Example.TEST",
            "<+news@example.test>            | +  | +news@example.test",
            "<user01-news@example.test>      | +- | user01@example.test",
            "<user01+news@example.test>      | '' | user01+news@example.test",
            "<\"user01+news\"@example.test>  | +  | user01@example.test",
            "<\"john\\\"doe\"@example.test>  | +  | john\"doe@example.test",
            "<postmaster>                    | +  | postmaster",
    })
    void routingAddress(String path, String delimiters, String expected) {
        MailPath parsed = MailPath.parse(path, false, true).path();
        assertEquals(expected, parsed.routingAddress(delimiters));
    }
}
