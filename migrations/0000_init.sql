CREATE TABLE "attempts" (
	"attempt_id" text PRIMARY KEY NOT NULL,
	"candidate_id" text NOT NULL,
	"cycle_id" text NOT NULL,
	"exam_id" text NOT NULL,
	"number" integer NOT NULL,
	"status" text NOT NULL,
	"seed" text NOT NULL,
	"bank_versions" jsonb NOT NULL,
	"paper" jsonb NOT NULL,
	"answers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"sections" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"checkpoint" jsonb,
	"events" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"scores" jsonb,
	"score" real,
	"max_score" real,
	"passed" boolean,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"checkpoint_at" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bank_versions" (
	"bank_id" text NOT NULL,
	"version" integer NOT NULL,
	"title" text NOT NULL,
	"content_hash" text NOT NULL,
	"content" jsonb NOT NULL,
	"questions" integer NOT NULL,
	"by_type" jsonb NOT NULL,
	"by_topic" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retired_at" timestamp with time zone,
	CONSTRAINT "bank_versions_bank_id_version_pk" PRIMARY KEY("bank_id","version")
);
--> statement-breakpoint
CREATE TABLE "candidates" (
	"candidate_id" text PRIMARY KEY NOT NULL,
	"cycle_id" text NOT NULL,
	"id_number" text NOT NULL,
	"name" text NOT NULL,
	"category" text NOT NULL,
	"scopes" jsonb NOT NULL,
	"level" text NOT NULL,
	"specialty" text NOT NULL,
	"procedure" text DEFAULT 'general' NOT NULL,
	"delegated_to" text,
	"password_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cycles" (
	"cycle_id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"opens_at" timestamp with time zone NOT NULL,
	"closes_at" timestamp with time zone NOT NULL,
	"policy_id" text,
	"policy" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"candidate_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "attempts" ADD CONSTRAINT "attempts_candidate_id_candidates_candidate_id_fk" FOREIGN KEY ("candidate_id") REFERENCES "public"."candidates"("candidate_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "candidates" ADD CONSTRAINT "candidates_cycle_id_cycles_cycle_id_fk" FOREIGN KEY ("cycle_id") REFERENCES "public"."cycles"("cycle_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_candidate_id_candidates_candidate_id_fk" FOREIGN KEY ("candidate_id") REFERENCES "public"."candidates"("candidate_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "attempts_candidate_exam_number" ON "attempts" USING btree ("candidate_id","exam_id","number");--> statement-breakpoint
CREATE INDEX "attempts_cycle" ON "attempts" USING btree ("cycle_id");--> statement-breakpoint
CREATE INDEX "attempts_in_progress" ON "attempts" USING btree ("status") WHERE status = 'in_progress';--> statement-breakpoint
CREATE UNIQUE INDEX "bank_versions_hash" ON "bank_versions" USING btree ("bank_id","content_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "candidates_cycle_id_number" ON "candidates" USING btree ("cycle_id","id_number");--> statement-breakpoint
CREATE INDEX "candidates_id_number" ON "candidates" USING btree ("id_number");--> statement-breakpoint
CREATE INDEX "sessions_candidate" ON "sessions" USING btree ("candidate_id");