"""Account pages: the user's own profile, and API keys for administrators."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.accounts.forms import ApiKeyForm
from guanxi.accounts.models import ApiKey
from guanxi.accounts import services
from guanxi.accounts.services import create_api_key, role_of


def profile(request):
    role = role_of(request.user)
    return render(request, "accounts/profile.html", {"role": role.label if role else None})


@permission_required("accounts.view_apikey", raise_exception=True)
def api_keys(request):
    """List keys; a POST creates one and shows its plaintext on this response only.

    The plaintext is rendered, never stored or redirected with, so it is seen once.
    """
    form, plaintext = ApiKeyForm(), None
    if request.method == "POST":
        if not request.user.has_perm("accounts.add_apikey"):
            raise PermissionDenied
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            key, plaintext = create_api_key(form.cleaned_data["name"], form.cleaned_data["scope"], user=request.user)
            form = ApiKeyForm()
    keys = ApiKey.objects.select_related("user").order_by("revoked_at", "-created_at")
    return render(request, "accounts/api_keys.html", {"form": form, "keys": keys, "plaintext": plaintext})


@require_POST
@permission_required("accounts.change_apikey", raise_exception=True)
def api_key_revoke(request, pk):
    if services.revoke_api_key(pk):
        messages.success(request, _("The key was revoked; requests using it are refused from now on."))
    return redirect("accounts:api_keys")
