"""Files other tools wrote: raw provider exports, inventory exports and org-wide queries.

`read_imports` turns AWS CLI, AWS Config, Azure CLI / Resource Graph and gcloud / Cloud Asset
Inventory JSON into the same `Snapshot` a live collection produces: each file is read, its format
detected from content (or forced), its records checked for the types of the fields cloudfw reads,
and the records of one scope unit (AWS account x region, Azure subscription, GCP project) handed
to that provider's normalizer. Pure apart from reading the given files; never prints.
"""

from cloudfw.imports.errors import ImportFileError
from cloudfw.imports.run import FORMATS, ImportOptions, read_imports

__all__ = ["FORMATS", "ImportFileError", "ImportOptions", "read_imports"]
