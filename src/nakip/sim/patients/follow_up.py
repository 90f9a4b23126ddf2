"""Follow-up of one patient after treatment: visits every 90 days until death, the end of
follow-up or the data cut, relapse and new therapy, missed visits and the end-of-study form."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from nakip.sim.patients.draws import iso


class FollowUpForms:
    """Mixin of `PatientBuilder` (uses its draw stream, protocol, dates and `add`)."""

    def end_of_study(self, reason: str, when: date, details: str = "") -> None:
        values: dict[str, Any] = {"end_date": iso(when), "reason": reason}
        if reason == "death":
            values["death_date"] = iso(when)
        else:
            values["last_known_alive_date"] = iso(when)
        if details:
            values["details"] = details
        self.add(when, "", "end_of_study", values)

    def miss_follow_up(self, eot_day: date, first: int, reason: str) -> None:
        fu = self.p.schedule.follow_up
        k = first
        while k * fu.interval_days <= fu.duration_days:
            target = eot_day + timedelta(days=k * fu.interval_days)
            if target - timedelta(days=fu.window_days) > self.cut:
                break
            self.missed.append((f"FU{k}", reason))
            k += 1

    def follow_up(
        self, responder: bool, in_remission: bool, eot_day: date, relapse: date | None
    ) -> tuple[date | None, date | None, str]:
        """Follow-up visits until death, the end of follow-up or the data cut; returns the
        reported death date, relapse date and end-of-study reason."""
        d = self.d
        fu = self.p.schedule.follow_up
        median = 700 if responder else 220
        death = eot_day + timedelta(days=30 + int(d.r.expovariate(math.log(2) / median)))
        reported = relapse is not None
        if in_remission and d.p(0.35):
            relapse = eot_day + timedelta(days=d.i(40, 500))
        transplant = in_remission and d.p(0.3)
        k = 1
        while k * fu.interval_days <= fu.duration_days:
            target = eot_day + timedelta(days=k * fu.interval_days)
            if target > self.cut:
                return None, (relapse if reported else None), ""
            values: dict[str, Any] = {"contact_date": iso(target), "vital_status": "alive"}
            if death <= target:
                values.update(
                    contact_date=iso(death),
                    vital_status="dead",
                    death_date=iso(death),
                    death_cause="leukaemia" if d.p(0.8) else "infection",
                    disease_status="persistent_disease"
                    if not in_remission or reported
                    else "unknown",
                )
                self.add(target, f"FU{k}", "follow_up", values)
                self.end_of_study("death", death)
                self.miss_follow_up(eot_day, k + 1, "off study (death)")
                return death, (relapse if reported else None), "death"
            if relapse is not None and relapse <= target and not reported:
                values.update(
                    disease_status="relapse",
                    relapse_date=iso(relapse),
                    new_therapy=True,
                    new_therapy_start_date=iso(min(relapse + timedelta(days=10), target)),
                    new_therapy_details="azacitidine + venetoclax",
                )
                reported = True
            elif reported or not in_remission:
                values["disease_status"] = "persistent_disease"
            else:
                values["disease_status"] = "remission"
                if transplant and k == 1:
                    values["transplant"] = True
                    values["transplant_date"] = iso(target - timedelta(days=d.i(20, 60)))
            values["disease_assessment"] = "blood_counts"  # a remission assessment (EFS censoring)
            self.add(target, f"FU{k}", "follow_up", values)
            last = target
            k += 1
        if k == 1:
            return None, (relapse if reported else None), ""
        self.end_of_study("completed", last)
        return None, (relapse if reported else None), "completed"


def drop_text(reason: str, when: date) -> str:
    if reason == "death":
        return f"subject died on {when.isoformat()}"
    return f"subject withdrew consent on {when.isoformat()}"
