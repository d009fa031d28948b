"""The S3 protocol through boto3: upload once (HEAD first), hand out a presigned or public URL, list and
delete. Every S3-compatible store speaks it (AWS S3, Cloudflare R2, Backblaze B2, MinIO, DigitalOcean
Spaces); only the endpoint and region differ. Imported only by the publish step and `media cleanup`.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError

from postwright.credentials import Secrets
from postwright.hosting import Hosted, HostError, hosted

if TYPE_CHECKING:
    from postwright.config import MediaHost

# DeleteObjects: "The request can contain a list of up to 1,000 keys"
# (docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
DELETE_BATCH = 1000
# Error codes that mean the settings are wrong, not the moment (docs.aws.amazon.com/AmazonS3/latest/API/
# ErrorResponses.html#ErrorCodeList): waiting for the next run will not fix them.
_SETTINGS = {
    "NoSuchBucket": "the bucket does not exist",
    "InvalidAccessKeyId": "the access key id is not known to the store",
    "SignatureDoesNotMatch": "the secret access key does not match the key id",
    "AccessDenied": "the keys may not write to this bucket",
    "InvalidBucketName": "the bucket name is not valid",
    "PermanentRedirect": "the bucket is in another region: set media.host.region",
    "AuthorizationHeaderMalformed": "the region does not match the bucket's: set media.host.region",
}


class S3Host:
    """One bucket and prefix; the keys read from the environment variables config.yml names."""

    def __init__(self, host: MediaHost, secrets: Secrets) -> None:
        self.host = host
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=host.endpoint,
            region_name=host.region,
            aws_access_key_id=secrets["access_key_id"],
            aws_secret_access_key=secrets["secret_access_key"],
            config=BotoConfig(
                signature_version="s3v4",  # presigned URLs need SigV4 on every store listed above
                connect_timeout=10,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},  # publish.py retries across runs
            ),
        )

    def publish(self, path: Path, key: str, mime: str, sha256: str) -> tuple[str, bool]:
        """The URL of `path` stored at `key`, uploaded unless the same bytes are there; and whether it
        was uploaded now."""
        uploaded = not self.holds(key, sha256)
        if uploaded:
            try:
                body = path.read_bytes()
            except OSError as error:  # the rendition vanished from the cache: nothing sent, made next run
                unreadable = f"media.host: upload of {key} failed: {path} cannot be read ({error})"
                raise HostError(unreadable) from error
            self._call(
                "upload",
                key,
                self.client.put_object,
                Bucket=self.host.bucket,
                Key=key,
                Body=body,
                ContentType=mime,
                Metadata={"sha256": sha256},  # what `holds` compares: the key alone could be a torn copy
            )
        return self.url(key), uploaded

    def holds(self, key: str, sha256: str) -> bool:
        """HEAD the key: there, with these bytes' hash in its metadata."""
        try:
            head = self.client.head_object(Bucket=self.host.bucket, Key=key)
        except ClientError as error:
            if _code(error) in ("404", "NoSuchKey", "NotFound"):
                return False
            if _code(error) in ("403", "Forbidden"):  # a HEAD has no body: AWS answers a bare 403 for a
                # missing key the keys may not list, or a key they may not read
                where = f"bucket {self.host.bucket!r} at {self.host.endpoint or 'AWS S3 ' + self.host.region}"
                raise HostError(
                    f"media.host: check of {key} failed: the keys may not read this bucket: they need "
                    f"s3:GetObject and s3:ListBucket there, besides s3:PutObject (403, {where})",
                    settings=True,
                ) from error
            raise self._failure("check", key, error) from error
        except BotoCoreError as error:
            raise self._failure("check", key, error) from error
        return head.get("Metadata", {}).get("sha256") == sha256

    def url(self, key: str) -> str:
        """Public under `public_base_url`, else presigned for `url_life` (no public bucket needed)."""
        if self.host.public_base_url:
            return f"{self.host.public_base_url.rstrip('/')}/{urllib.parse.quote(key)}"
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.host.bucket, "Key": key},
            ExpiresIn=int(self.host.url_life.total_seconds()),
        )

    def check(self) -> str:
        """For `doctor`: list one key under the prefix (ListObjectsV2, MaxKeys=1), which asks the store,
        the bucket, the keys and their right to list in one request, writing nothing. Not HeadBucket:
        it needs s3:ListBucket on the whole bucket, which keys scoped to the prefix (all postwright
        needs) may lack (docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html). Listing matters
        to publishing too: without it, S3 answers a HEAD of a missing image 403 instead of 404
        (docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html, "Permissions")."""
        try:
            self.client.list_objects_v2(Bucket=self.host.bucket, Prefix=self.host.prefix, MaxKeys=1)
        except ClientError as error:
            if _code(error) == "AccessDenied":
                raise HostError(
                    f"media.host: the keys may not list {self.host.prefix!r} in {self._where()} "
                    "(AccessDenied): publish and media cleanup need to read, write, list and delete under "
                    "the prefix",
                    settings=True,
                ) from error
            raise self._failure("list", self.host.prefix, error) from error
        except BotoCoreError as error:
            raise self._failure("list", self.host.prefix, error) from error
        return f"{self._where()} answers, and the keys may list {self.host.prefix!r}"

    def listing(self) -> Iterator[Hosted]:
        """Every object under the prefix (ListObjectsV2, page by page)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.host.bucket, Prefix=self.host.prefix
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    yield hosted(self.host.prefix, item["Key"], int(item.get("Size", 0)))
        except (ClientError, BotoCoreError) as error:
            raise self._failure("list", self.host.prefix, error) from error

    def delete(self, keys: Iterable[str]) -> None:
        """Remove `keys`, a thousand a request; a key already gone is not an error."""
        keys = list(keys)
        for start in range(0, len(keys), DELETE_BATCH):
            batch = [{"Key": key} for key in keys[start : start + DELETE_BATCH]]
            answer = self._call(
                "delete",
                batch[0]["Key"],
                self.client.delete_objects,
                Bucket=self.host.bucket,
                Delete={"Objects": batch, "Quiet": True},
            )
            refused = answer.get("Errors") or []
            if refused:
                first = refused[0]
                raise HostError(
                    f"media.host: {len(refused)} object(s) could not be deleted, e.g. {first.get('Key')}: "
                    f"{first.get('Code')} {first.get('Message', '')}".rstrip()
                )

    def _call(self, doing: str, key: str, method: Any, **params: Any) -> Any:
        try:
            return method(**params)
        except (ClientError, BotoCoreError) as error:
            raise self._failure(doing, key, error) from error

    def _failure(self, doing: str, key: str, error: Exception) -> HostError:
        """One clear sentence: what, where, why, and whether it is the settings."""
        where = self._where()
        failed = f"media.host: {doing} of {key} failed"
        if isinstance(error, ClientError):
            code = _code(error)
            cause = _SETTINGS.get(code)
            if cause:
                return HostError(f"{failed}: {cause} ({code}, {where})", settings=True)
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
            return HostError(f"{failed}: the store answered {status} {code} ({where})")
        if isinstance(error, EndpointConnectionError | ConnectTimeoutError):
            return HostError(f"{failed}: the store cannot be reached ({where})")
        return HostError(f"{failed}: {type(error).__name__} ({where})")

    def _where(self) -> str:
        return f"bucket {self.host.bucket!r} at {self.host.endpoint or 'AWS S3 ' + self.host.region}"


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
