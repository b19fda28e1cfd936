"""Label Studio's server lifecycle: the local server and the accounts on it.

- ``server``: install Label Studio into its own venv, start, stop, status.
- ``installation``: Label Studio's own venv and its migrated template database.
- ``local``: the studio folder, its state file and which server is running.
- ``postgres``: a private PostgreSQL cluster for a studio (``--database postgresql``).
- ``ports``: free loopback ports for the local servers.
- ``accounts``: the admin and annotator accounts (sign-up, tokens).
- ``timeouts``: connect and read timeouts of every request to Label Studio.
"""
