// Connector words (kafka, s3, postgres, slack ...) the goal may name, and
// the extraction steps that share them.
#ifndef FLOWCTL_AI_PLANNER_CONNECTORS_H_
#define FLOWCTL_AI_PLANNER_CONNECTORS_H_

#include <string>
#include <vector>

#include "internal.h"

namespace flowctl::ai::planner {

struct Connector {
  const char* word;
  const char* name;  // how warnings call it
  bool stream;       // a stream (kafka) rather than a store (s3)
};
// The connector named at token i, or nullptr.
const Connector* ConnectorAt(const Goal& g, int i, int* len);
// The name after or before a connector word: "topic orders", "orders topic".
std::string ConnectorObjectName(const Goal& g, int i, int len);
// The role words around token i: +1 input (from, read ...), -1 output (to,
// write ...), 0 none; looks back at most `window` tokens.
int RoleBefore(const Goal& g, int i, int window);

void ExtractConstraints(Goal& g, Intent* intent);
void ExtractSource(Goal& g, const Registry& registry, Intent* intent);
void ExtractOutputs(Goal& g, const Registry& registry, Intent* intent);
void ExtractProcessing(Goal& g, Intent* intent);
void ExtractTransforms(Goal& g, Intent* intent);
void NoteUnexpressible(Goal& g, Intent* intent);
// Conditions fitted to the fields the pipeline carries (AI output fields,
// plain lines); verbs[i]: what the clause of conditions[i] asks for.
void RefineConditions(Intent* intent, const std::vector<ClauseVerb>& verbs);
// A warning for each clause of the goal no rule understood, and for each
// number no rule used.
void NoteLostClauses(const Goal& g, Intent* intent);

}  // namespace flowctl::ai::planner

#endif  // FLOWCTL_AI_PLANNER_CONNECTORS_H_
