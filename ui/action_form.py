"""The form of the current SOP step, rendered from the SOP table's fields.

The page shows a form only for the actions ``services.complaint_detail`` lists as allowed
for this user (``workflow.allowed_actions``). Nothing is enforced here: empty values go
to the engine, which refuses them and whose ``err.message`` the page shows.

The form is submitted through a callback bound to the version of the complaint the
user was looking at, so a second person acting on a complaint that someone else has
just moved is told who acted first (``StaleVersion``) instead of acting on a state
they never saw.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from layanan import sop
from layanan.calendar import office_today
from layanan.errors import WorkflowError
from layanan.markup import md
from layanan.text import posisi, tanggal_jam
from services import uploads, workflow
from services.complaint_detail import ActionSpec, ComplaintDetail, DiffPart
from services.uploads import UPLOAD_EXTENSIONS
from ui import delivery as delivery_ui
from ui.complaint_view import esc

FLASH_KEY = "flash_message"
# Actions whose hook sends the signed letter out of the office (e-mail, WhatsApp, in
# person) share one form with three tabs, ``ui.delivery.delivery_panel``, shown here
# in place of their generic forms.
DELIVERY_HOOKS = frozenset({"deliver", "queue_email"})


def _error_key(ticket: str) -> str:
    return f"action_error:{ticket}"


def _widget_key(base: str, name: str) -> str:
    return f"{base}:{name}"


def _choice_label(field: sop.Field):
    labels = dict(field.choice_labels)
    return lambda v: labels.get(v, str(v))


def _field_widget(
    field: sop.Field, key: str, detail: ComplaintDetail, *, required: bool, spec: ActionSpec
):
    label = field.label + ("" if required else " (opsional)")
    units = dict(detail.unit_options)
    default = spec.default(field.key)
    value = default.value if default is not None else ""
    if field.kind in ("text", "email"):
        st.text_input(label, value=value, key=key, max_chars=500)
    elif field.kind == "longtext":
        height = 320 if default is not None else 140
        st.text_area(label, value=value, key=key, height=height, max_chars=20_000)
    elif field.kind == "unit":
        st.selectbox(
            label,
            list(units),
            index=None,
            format_func=units.get,
            key=key,
            placeholder="Pilih unit",
        )
    elif field.kind == "units":
        st.multiselect(label, list(units), format_func=units.get, key=key, placeholder="Pilih unit")
    elif field.kind == "choice":
        st.selectbox(
            label,
            list(field.choices),
            index=None,
            format_func=_choice_label(field),
            key=key,
            placeholder="Pilih",
        )
    elif field.kind == "date":
        today = office_today()
        st.date_input(label, value=today if required else None, key=key, format="DD/MM/YYYY")
    elif field.kind == "bool":
        st.checkbox(label, key=key)
    elif field.kind == "flag":  # starts at the complaint's attribute of the same name
        st.checkbox(field.label, value=bool(getattr(detail, field.key, False)), key=key)
    else:  # a kind the table names but this form does not know: a table error
        st.text_input(label, key=key)
    if default is not None:
        st.caption(esc(default.source))


def _value(field: sop.Field, raw: Any) -> Any:
    """A widget's value as the engine expects it (empty -> None, unticked -> None)."""
    if field.kind == "bool":
        return True if raw else None
    if field.kind == "flag":
        return bool(raw)
    if field.kind in ("text", "longtext", "email"):
        return (raw or "").strip() or None
    if field.kind == "units":
        return list(raw or []) or None
    if isinstance(raw, date | int | str):
        return raw
    return None


def _submit(
    *, complaint_id: int, ticket: str, version: int, spec: ActionSpec, user_id: int, base: str
) -> None:
    """Form callback: perform the action at the version the user saw."""
    state = st.session_state
    state.pop(_error_key(ticket), None)
    payload = {
        f.key: _value(f, state.get(_widget_key(base, f.key)))
        for f in (*spec.fields, *spec.optional_fields)
    }
    note = (state.get(_widget_key(base, "note")) or "").strip() or None
    try:
        documents = [
            uploads.check_upload(kind=spec.upload_kind, filename=f.name, data=f.getvalue())
            for f in (state.get(_widget_key(base, "files")) or [])
        ]
        result = workflow.perform(
            complaint_id=complaint_id,
            action=spec.key,
            user_id=user_id,
            expected_version=version,
            payload=payload,
            documents=documents,
            note=note,
        )
    except WorkflowError as err:
        state[_error_key(ticket)] = err.message
        return
    state[FLASH_KEY] = f"{spec.label}: {posisi(result.ticket, result.to_step)}."


def show_flash() -> None:
    """The confirmation of the last action (a toast and a success line), once."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.toast(md(message), icon=":material/check_circle:")
        st.success(md(message))


def _diff_markdown(parts: tuple[DiffPart, ...]) -> str:
    """The changes as Markdown: deletions struck through in red, insertions in green;
    every piece of user text escaped, line by line (a directive cannot span lines)."""
    out = []
    for part in parts:
        lines = part.text.split("\n")
        pieces = []
        for line in lines:
            word = line.strip()
            if not word or part.op == "same":
                pieces.append(esc(line) if line else "")
                continue
            # Marks hug the words: "~~ x ~~" or "** x **" would not be read as marks.
            lead, trail = line[: len(line) - len(line.lstrip())], line[len(line.rstrip()) :]
            mark = f"~~{esc(word)}~~" if part.op == "delete" else f"**{esc(word)}**"
            colour = "red" if part.op == "delete" else "green"
            pieces.append(f"{lead}:{colour}-background[{mark}]{trail}")
        out.append("  \n".join(pieces))
    return "".join(out)


def render_returned_draft(detail: ComplaintDetail) -> None:
    """Why the Head returned the draft (above the redraft form), and, at review of the
    redraft, what changed since the returned round."""
    back = detail.returned_draft
    if back is None:
        return
    if detail.draft_changes is None:
        st.warning(
            f"**Draf ke-{back.draft_round} dikembalikan** oleh {esc(back.actor_name)} "
            f"({tanggal_jam(back.at)}).  \nAlasan: {esc(back.reason)}",
            icon=":material/undo:",
        )
        return
    with st.container(border=True):
        st.markdown(
            f"**Perubahan sejak draf ke-{back.draft_round} yang dikembalikan**  \n"
            f":gray[Alasan pengembalian ({esc(back.actor_name)}, {tanggal_jam(back.at)}): "
            f"{esc(back.reason)}]  \n"
            ":gray[Teks :green-background[**hijau**] ditambahkan, teks "
            ":red-background[~~merah dicoret~~] dihapus.]"
        )
        if any(p.op != "same" for p in detail.draft_changes):
            st.markdown(_diff_markdown(detail.draft_changes))
        else:
            st.info("Isi draf tidak berubah dari draf yang dikembalikan.")


def render_action_forms(detail: ComplaintDetail, *, user_id: int) -> None:
    """The forms of the current step for this user, or why there is none."""
    error = st.session_state.pop(_error_key(detail.ticket), None)
    if error:
        st.error(md(error))
    if detail.closed:
        st.info("Pengaduan ini sudah selesai; tidak ada langkah yang perlu dikerjakan.")
        return
    if not detail.actions:
        step = sop.step(detail.current_step)
        st.info(
            f"Langkah {step.number} dikerjakan oleh {sop.ROLE_LABELS[step.role]}. "
            "Anda tidak memiliki tindakan pada langkah ini."
        )
        return
    forms = [spec for spec in detail.actions if spec.hook not in DELIVERY_HOOKS]
    if len(forms) < len(detail.actions):
        delivery_ui.delivery_panel(detail=detail, user_id=user_id)
    # Two ways out of a step (approve or return, oral or written) side by side.
    places = st.columns(len(forms)) if len(forms) == 2 else [st.container() for _ in forms]
    for place, spec in zip(places, forms, strict=True):
        with place:
            _form(detail, spec, user_id=user_id)


def _submit_kwargs(detail: ComplaintDetail, spec: ActionSpec, *, user_id: int, base: str):
    return {
        "complaint_id": detail.id,
        "ticket": detail.ticket,
        "version": detail.version,
        "spec": spec,
        "user_id": user_id,
        "base": base,
    }


def _confirming_key(base: str) -> str:
    return _widget_key(base, "confirming")


def _ask(base: str) -> None:
    st.session_state[_confirming_key(base)] = True


def _dismiss(base: str) -> None:
    st.session_state.pop(_confirming_key(base), None)


def _confirm_dialog(detail: ComplaintDetail, spec: ActionSpec, *, user_id: int, base: str) -> None:
    """One deliberate action (paraf): the question, then confirm or cancel."""

    @st.dialog("Konfirmasi", on_dismiss=lambda: _dismiss(base))
    def dialog() -> None:
        st.markdown(f"**{esc(spec.confirm)}**")
        st.caption(esc(f"Pengaduan {detail.ticket}: {spec.label}. Selanjutnya: {spec.to_label}."))
        yes, no = st.columns(2)
        if yes.button(
            f"Ya, {spec.label[:1].lower()}{spec.label[1:]}",
            type="primary",
            key=_widget_key(base, "confirm"),
        ):
            _dismiss(base)
            for field in spec.fields:  # the confirmation is the tick
                st.session_state[_widget_key(base, field.key)] = True
            _submit(**_submit_kwargs(detail, spec, user_id=user_id, base=base))
            st.rerun()
        if no.button("Batal", key=_widget_key(base, "cancel")):
            _dismiss(base)
            st.rerun()

    dialog()


def _form(detail: ComplaintDetail, spec: ActionSpec, *, user_id: int) -> None:
    base = f"act:{detail.ticket}:{detail.version}:{spec.key}"
    with st.form(base, border=True):
        st.markdown(f"**{spec.label}**  \n:gray[Selanjutnya: {spec.to_label}]")
        for requirement in spec.missing:
            if spec.upload_required and requirement.key == spec.upload_satisfies:
                continue  # asked for below, with the upload
            st.warning(f"Kelengkapan belum ada: {requirement.label}")
        if spec.confirm is None:
            for field in spec.fields:
                _field_widget(field, _widget_key(base, field.key), detail, required=True, spec=spec)
        for field in spec.optional_fields:
            _field_widget(field, _widget_key(base, field.key), detail, required=False, spec=spec)
        if spec.upload_kind:
            st.file_uploader(
                spec.upload_label + (" (wajib)" if spec.upload_required else ""),
                type=UPLOAD_EXTENSIONS,
                accept_multiple_files=True,
                key=_widget_key(base, "files"),
            )
        st.text_area("Catatan (opsional)", key=_widget_key(base, "note"), height=80)
        if spec.confirm is not None:
            # Paraf: one button, then a confirmation (the dialog supplies the tick).
            st.form_submit_button(
                spec.label,
                type="primary",
                key=_widget_key(base, "submit"),
                icon=":material/approval:",
                on_click=_ask,
                args=(base,),
            )
        else:
            st.form_submit_button(
                spec.label,
                type="secondary" if spec.secondary else "primary",
                key=_widget_key(base, "submit"),
                on_click=_submit,
                kwargs=_submit_kwargs(detail, spec, user_id=user_id, base=base),
            )
    if st.session_state.get(_confirming_key(base)):
        _confirm_dialog(detail, spec, user_id=user_id, base=base)
