package csptransfer

import (
	"fmt"
	"strings"
)

// Stage is where a transfer stands. Its value is also the CspStage search attribute.
type Stage string

// The stages, in the order a transfer normally passes them.
const (
	StageValidating         Stage = "Validating"
	StageCheckingRegion     Stage = "CheckingRegion"
	StageInviting           Stage = "Inviting"
	StageAwaitingAcceptance Stage = "AwaitingAcceptance"
	StageCheckingAgreement  Stage = "CheckingAgreement"
	StageDiscovering        Stage = "Discovering"
	StagePlanning           Stage = "Planning"
	StageAwaitingApproval   Stage = "AwaitingApproval"
	// StageAwaitingPartnerTransfer: the source CSP partner has a partner-to-partner transfer request to act on.
	StageAwaitingPartnerTransfer Stage = "AwaitingPartnerTransfer"
	StageProvisioning            Stage = "Provisioning"
	StageReassigningLicenses     Stage = "ReassigningLicenses"
	StageAwaitingExpiry          Stage = "AwaitingExpiry"
	StageCompleted               Stage = "Completed"
	StageFailed                  Stage = "Failed"
	StageAborted                 Stage = "Aborted"
)

// Stages lists every stage in order.
func Stages() []Stage {
	return []Stage{
		StageValidating, StageCheckingRegion, StageInviting, StageAwaitingAcceptance, StageCheckingAgreement,
		StageDiscovering, StagePlanning, StageAwaitingApproval, StageAwaitingPartnerTransfer, StageProvisioning, StageReassigningLicenses,
		StageAwaitingExpiry, StageCompleted, StageFailed, StageAborted,
	}
}

// ParseStage accepts a stage name in any letter case.
func ParseStage(s string) (Stage, error) {
	for _, st := range Stages() {
		if strings.EqualFold(string(st), strings.TrimSpace(s)) {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown stage %q: expected one of %s", s, joinStages(Stages()))
}

// Terminal reports whether the transfer has ended in this stage.
func (s Stage) Terminal() bool {
	return s == StageCompleted || s == StageFailed || s == StageAborted
}

func joinStages(stages []Stage) string {
	names := make([]string, len(stages))
	for i, s := range stages {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
