import * as pulumi from "@pulumi/pulumi";
import { ObservabilityStack } from "pulumi-observability";

// Receiver credentials are secrets: `pulumi config set --secret defaultWebhook https://...`.
const config = new pulumi.Config();

const stack = new ObservabilityStack("obs", {
  config: {
    platform: "docker",
    alerting: {
      receivers: [
        { name: "default", webhook: [{}] },
        { name: "payments", slack: [{ channel: "#payments-alerts" }] },
      ],
      // The payments team's alerts go to its channel; everything else to the default webhook.
      route: { receiver: "default", routes: [{ matchers: ['team="payments"'], receiver: "payments" }] },
    },
    rules: {
      custom: [
        {
          alert: "CheckoutQueueBacklog",
          expr: "sum(checkout_queue_depth) > 100",
          for: "10m",
          severity: "warning",
          summary: "The checkout queue is backing up",
          description: "{{ $value }} orders wait in the checkout queue.",
          runbookUrl: "https://runbooks.example.com/checkout-queue",
          labels: { team: "payments" },
        },
      ],
    },
  },
  secrets: {
    alertingSecrets: {
      "default.webhook[0]": config.requireSecret("defaultWebhook"),
      "payments.slack[0]": config.requireSecret("paymentsSlack"),
    },
  },
});

// Two services: scrape jobs, SLO burn-rate alerts routed to their team, RED dashboards.
stack.monitorService({ name: "checkout", targets: ["checkout:8080"], slo: { availability: 0.999, latencyP95: "300ms" }, team: "payments" });
stack.monitorService({ name: "search", targets: ["search:9000"], slo: { availability: 0.99 } });

export const urls = stack.urls;
export const endpoints = stack.endpoints;
