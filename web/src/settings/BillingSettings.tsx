// Billing: the plan, minutes used against the plan's limit this period, and the way to
// Stripe (Checkout to change plan, the customer portal for cards and invoices). The page
// never sees card data: both are pages Stripe hosts.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { api, unwrap } from "../api/client";
import { FormError } from "../components/Field";
import { when } from "../lib/time";

interface Plan {
  name: string;
  display_name: string;
  currency: string;
  seat_price_cents: number;
  included_minutes: number;
  purchasable: boolean;
  current: boolean;
}
interface Plans {
  plans: Plan[];
  current_plan: string;
  status: string;
}
interface Usage {
  plan: string;
  status: string;
  period_start: string;
  period_end: string;
  minutes_used: number;
  minutes_included: number;
  minutes_overage: number;
  calls: number;
}

function price(plan: Plan): string {
  const amount = plan.seat_price_cents / 100;
  return new Intl.NumberFormat(undefined, { style: "currency", currency: plan.currency.toUpperCase() }).format(amount);
}

/** Sends the browser to a page Stripe hosts (checkout or portal). */
function go(url: unknown) {
  if (typeof url === "string" && /^https?:\/\//.test(url)) window.location.assign(url);
  else throw new Error("Billing answered without a link to follow.");
}

export function BillingSettings() {
  const [params] = useSearchParams();
  const plans = useQuery({ queryKey: ["plans"], queryFn: async () => (await unwrap(api.GET("/v1/billing/plans"))) as Plans });
  const usage = useQuery({ queryKey: ["usage"], queryFn: async () => (await unwrap(api.GET("/v1/billing/usage"))) as unknown as Usage });
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const here = `${window.location.origin}/settings/billing`;

  async function open(run: () => Promise<{ url?: unknown }>) {
    setBusy(true);
    setError(undefined);
    try {
      go((await run()).url);
    } catch (e) {
      setError(e instanceof Error ? e.message : "Billing did not answer.");
      setBusy(false);
    }
  }
  const checkout = (plan: string) =>
    open(() => unwrap(api.POST("/v1/billing/checkout", { body: { plan, success_url: `${here}?checkout=done`, cancel_url: here } })));
  const portal = () => open(() => unwrap(api.POST("/v1/billing/portal", { body: { return_url: here } })));

  const u = usage.data;
  const current = plans.data?.plans.find((p) => p.current);
  return (
    <div className="card">
      <h2>Billing</h2>
      {params.get("checkout") === "done" && (
        <p className="flash" role="status">
          Thank you: your plan changes as soon as Stripe confirms the payment.
        </p>
      )}
      {(plans.isPending || usage.isPending) && <p role="status">Loading billing…</p>}
      {plans.isError && <p role="alert">{plans.error.message}</p>}
      {usage.isError && <p role="alert">{usage.error.message}</p>}
      {plans.data && (
        <p>
          Plan: <strong data-testid="current-plan">{current?.display_name ?? plans.data.current_plan}</strong> ({plans.data.status})
        </p>
      )}
      {u && (
        <div className="usage">
          <label htmlFor="minutes-used">
            Minutes used this period ({when(u.period_start)} – {when(u.period_end)})
          </label>
          <meter id="minutes-used" min={0} max={Math.max(u.minutes_included, 1)} value={u.minutes_used} high={u.minutes_included * 0.9}>
            {u.minutes_used} of {u.minutes_included}
          </meter>
          <p data-testid="minutes">
            {u.minutes_used} of {u.minutes_included} minutes, {u.calls} calls
            {u.minutes_overage > 0 && <span className="out"> · {u.minutes_overage} minutes over the plan</span>}
          </p>
        </div>
      )}
      {plans.data && (
        <ul className="plans">
          {plans.data.plans.map((p) => (
            <li key={p.name} className={p.current ? "plan current" : "plan"}>
              <h3>{p.display_name}</h3>
              <p>
                {price(p)} per seat a month · {p.included_minutes} minutes included
              </p>
              {p.current ? (
                <p className="muted">Your plan</p>
              ) : (
                p.purchasable && (
                  <button type="button" disabled={busy} onClick={() => checkout(p.name)}>
                    Switch to {p.display_name}
                  </button>
                )
              )}
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="secondary" disabled={busy} onClick={portal}>
        Manage payment and invoices
      </button>
      <FormError message={error} />
    </div>
  );
}
