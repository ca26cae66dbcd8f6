"""Citizens and companies: ID numbers, logins by SMS code, channel bindings and masking."""
