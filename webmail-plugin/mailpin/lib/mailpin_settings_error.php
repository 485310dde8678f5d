<?php

/**
 * Raised when a mailpin_* option is missing or invalid.
 *
 * The message names the option and never contains the secret itself.
 */
class mailpin_settings_error extends InvalidArgumentException
{
}
