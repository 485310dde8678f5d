package org.mailpin.gateway.cli;

/** An admin call that failed, with the exit code the CLI returns for it. */
final class AdminException extends RuntimeException {

    private final int exitCode;

    AdminException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    static AdminException fromStatus(int status, String message) {
        int code = switch (status) {
            case 401 -> MailpinCommand.EXIT_NOPERM;
            case 404 -> MailpinCommand.EXIT_NOTFOUND;
            case 503 -> MailpinCommand.EXIT_UNAVAILABLE;
            default -> status >= 500 ? MailpinCommand.EXIT_SOFTWARE : MailpinCommand.EXIT_DATAERR;
        };
        String text = status == 401
                ? "the admin API rejected the token (401): check admin.token-file, or pass --token-file"
                : message + " (HTTP " + status + ")";
        return new AdminException(code, text);
    }

    int exitCode() {
        return exitCode;
    }
}
