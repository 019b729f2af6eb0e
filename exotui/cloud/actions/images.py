"""Glance images the project owns: change who sees one (visibility), rename one, delete one. Glance answers at
once (a PATCH answers the whole image), so its answer goes straight into the store."""

from __future__ import annotations

from typing import Any

from ..models import Image
from ..session import CloudError
from .base import ActionRefused, ActionResult, ActionsBase, failed

MAX_NAME = 255  # Glance's image schema: name maxLength
PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}
# what each visibility means, in the order offered
VISIBILITIES = {
    "private": "this project only",
    "shared": "this project and the projects it is shared with",
    "community": "every project may boot it; it is not listed unless asked for",
    "public": "every project, listed: Glance lets only an admin publish an image",
}
MEMBER_MAY = ("private", "shared", "community")  # Glance's default policy: publicize_image is admin only


class ImageActions(ActionsBase):
    def _image(self, image_id: str) -> Image:
        return self._item("images", image_id, "this image is not in the project's list")

    def why_not_change_image(self, image: Image) -> str | None:
        """Why Glance would refuse to change or delete this image for this project (None: it would not)."""
        # the token's project, as keystoneauth holds it: no request (project_id may log in again)
        owner = getattr(self.session.auth_marker(), "project_id", None)
        if owner and image.owner != owner:
            return "the image belongs to another project: only its owner may change or delete it"
        return None

    def why_not_delete_image(self, image: Image) -> str | None:
        if reason := self.why_not_change_image(image):
            return reason
        if image.protected:
            return "the image is protected: unprotect it first (openstack image set --unprotected)"
        return None

    def why_not_visibility(self, image: Image, visibility: str) -> str | None:
        if visibility not in VISIBILITIES:
            return f"{visibility} is no visibility Glance knows"
        if visibility == image.visibility:
            return f"the image is {visibility} already"
        if visibility not in MEMBER_MAY:
            return "only an admin may make an image public (Glance's publicize_image policy)"
        return None

    def instances_from_image(self, image: Image) -> list[str]:
        return sorted(s.name for s in self.store.get("servers").values() if s.image_id == image.id)

    async def _patch_image(self, image: Image, changes: list[dict[str, Any]], action: str, what: str,
                           done: str) -> ActionResult:
        with self._claim(image.id, action, what):
            try:
                answer = await self._send("image", "PATCH", f"/images/{image.id}", changes, headers=PATCH)
            except CloudError as err:  # 403: not the owner, or the policy (publicize_image)
                return failed(what, err)
            updated = Image.from_api(answer) if isinstance(answer, dict) and answer.get("id") else None
            if updated is not None:
                self.store.merge("images", [updated])
            else:
                self.poller.kick("images")
        return ActionResult(True, done, value=updated)

    async def set_image_visibility(self, image_id: str, visibility: str) -> ActionResult:
        image = self._image(image_id)
        if reason := self.why_not_change_image(image) or self.why_not_visibility(image, visibility):
            raise ActionRefused(reason)
        return await self._patch_image(image, [{"op": "replace", "path": "/visibility", "value": visibility}],
                                       "visibility", f"make image {image.name} {visibility}",
                                       f"image {image.name} is {visibility} now")

    async def rename_image(self, image_id: str, new_name: str) -> ActionResult:
        image = self._image(image_id)
        new_name = new_name.strip()
        if not new_name:
            raise ActionRefused("an image needs a name")
        if len(new_name) > MAX_NAME:
            raise ActionRefused(f"an image name has at most {MAX_NAME} characters; this one has {len(new_name)}")
        if new_name == image.name:
            raise ActionRefused(f"the image is named {new_name} already")
        if reason := self.why_not_change_image(image):
            raise ActionRefused(reason)
        return await self._patch_image(image, [{"op": "replace", "path": "/name", "value": new_name}],
                                       "rename", f"rename image {image.name}", f"image {image.name} renamed {new_name}")

    async def delete_image(self, image_id: str) -> ActionResult:
        image = self._image(image_id)
        if reason := self.why_not_delete_image(image):
            raise ActionRefused(reason)
        what = f"delete image {image.name}"
        with self._claim(image.id, "delete_image", what):
            try:
                await self._send("image", "DELETE", f"/images/{image.id}")
            except CloudError as err:
                return failed(what, err)
            self.store.merge("images", [], [image.id])
        return ActionResult(True, f"deleted image {image.name}")
