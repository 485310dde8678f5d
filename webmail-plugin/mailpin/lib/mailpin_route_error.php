<?php

/**
 * Raised when an X-Mailpin-Route header is missing, malformed, wrongly signed or out of date.
 *
 * The message is safe to log: it never contains the shared secret or a password.
 */
class mailpin_route_error extends RuntimeException
{
}
