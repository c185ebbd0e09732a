"""Which AWS accounts to read, and how to get into them (SDK-free, so it imports cheaply).

Without any of these the collector reads the caller's own account. ``org``: every ACTIVE account
of the caller's organization (the caller is the management account or a delegated
administrator), narrowed by ``ous`` (OU subtrees), ``accounts`` and ``exclude_accounts``
(``fnmatch`` globs over the account id or name); cloudfw assumes ``role_name`` in each one.
``role_arn``: one role, in one account.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

DEFAULT_ROLE = "OrganizationAccountAccessRole"
SESSION_NAME = "cloudfw"
ROLE_DURATION = 3600  # seconds; refreshed before expiry on long runs


@dataclass(frozen=True)
class AwsScope:
    org: bool = False
    accounts: tuple[str, ...] = ()  # globs: keep only these (id or name)
    exclude_accounts: tuple[str, ...] = ()  # globs: drop these (id or name)
    ous: tuple[str, ...] = ()  # OU ids (ou-…) or the root id (r-…): their subtrees only
    role_name: str = DEFAULT_ROLE
    external_id: str | None = None
    role_arn: str | None = None
    duration: int = ROLE_DURATION  # seconds per role session (botocore refreshes before expiry)

    @property
    def active(self) -> bool:
        """True when accounts other than the caller's own are in scope."""
        return self.org or self.role_arn is not None

    def wants(self, account_id: str, name: str) -> bool:
        def hit(globs: tuple[str, ...]) -> bool:
            return any(fnmatchcase(account_id, g) or fnmatchcase(name, g) for g in globs)

        return (not self.accounts or hit(self.accounts)) and not hit(self.exclude_accounts)

    def role_for(self, account_id: str, partition: str = "aws") -> str:
        return f"arn:{partition}:iam::{account_id}:role/{self.role_name}"
